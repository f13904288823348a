import { problemDetail } from '../api.ts';

/** What went wrong with a change, announced; nothing while there is no error. */
export function ProblemAlert(props: { error: unknown }) {
  if (!props.error) return null;
  return <p role="alert">{problemDetail(props.error)}</p>;
}

/** A list that could not be loaded, announced with what it was: "Could not load the list: …". */
export function LoadError(props: { what: string; error: Error | null }) {
  if (!props.error) return null;
  return (
    <p role="alert">
      Could not load {props.what}: {props.error.message}
    </p>
  );
}
