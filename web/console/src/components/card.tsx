import type { ReactNode } from 'react';

/** A card of a view: one part of the page under its own heading. */
export function Card(props: { title: string; children: ReactNode }) {
  return (
    <div className="card">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}
