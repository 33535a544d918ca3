/**
 * The delivery job's name and ids, in a module of their own: the job registry
 * imports the job, and the emitter (which imports the queue plumbing, and so the
 * registry) must not be on that path.
 */

/** The job that makes one delivery attempt. */
export const DELIVER_JOB = "webhook.deliver";

/** A delivery attempt's job id: one job per attempt, so an attempt runs (and records) once. */
export const attemptJobId = (deliveryId: string, attempt: number) => `${deliveryId}.${attempt}`;
