import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';

/** One option of a select: the value it submits and what a person reads. */
export interface Choice {
  value: string | number;
  label: string;
}

/**
 * A select inside its label (the label names it for assistive technology without an id), one
 * option per choice; every other prop goes to the select (value and onChange, or name and defaultValue).
 */
export function SelectField(
  props: SelectHTMLAttributes<HTMLSelectElement> & {
    label: ReactNode;
    labelClassName?: string;
    choices: Choice[];
  },
) {
  const { label, labelClassName, choices, ...select } = props;
  return (
    <label className={labelClassName}>
      {label}
      <select {...select}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A one-line form: a labelled text box and its submit button, then any further buttons (Cancel).
 * Submitting calls `onSubmit` instead of loading a page; the box's own checks (required, length)
 * run first, in the browser.
 */
export function InlineForm(props: {
  label: ReactNode;
  /** The text box: value, onChange and its checks. */
  field: InputHTMLAttributes<HTMLInputElement>;
  submit: ReactNode;
  submitClassName?: string;
  busy: boolean;
  onSubmit: () => void;
  'aria-label'?: string;
  children?: ReactNode;
}) {
  return (
    <form
      className="inline"
      aria-label={props['aria-label']}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <label>
        {props.label}
        <input {...props.field} />
      </label>
      <button type="submit" className={props.submitClassName} disabled={props.busy}>
        {props.submit}
      </button>
      {props.children}
    </form>
  );
}
