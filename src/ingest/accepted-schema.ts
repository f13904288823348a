import { z } from 'zod';

/** The 202 answer to an accepted lead. */
export const acceptedSchema = z.object({ eventId: z.string() });
