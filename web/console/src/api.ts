import { QueryClient } from '@tanstack/react-query';
import { createLeadloopClient } from '../../sdk/index.ts';

/** The CSRF token of the current session; the session cookie itself is HttpOnly. */
let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};

/** The console speaks only the public API, through the generated SDK, with the session cookie. */
export const api = createLeadloopClient({ baseUrl: '', csrfToken: () => csrfToken });

export interface Problem {
  status: number;
  detail: string;
  errors?: { field: string; reason: string }[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

/** The problem's detail for a person to read, or the error as text where it is not an API problem. */
export const problemDetail = (error: unknown): string =>
  error instanceof ApiError ? error.problem.detail : String(error);

/** Unwraps an openapi-fetch answer: the data, or an ApiError carrying the problem+json. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    const problem = (error as Problem | undefined) ?? {
      status: response.status,
      detail: response.statusText,
    };
    if (response.status === 401) window.dispatchEvent(new Event('leadloop:signed-out'));
    throw new ApiError({ ...problem, status: response.status });
  }
  return data as T;
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.problem.status < 500) && count < 2,
    },
  },
});
