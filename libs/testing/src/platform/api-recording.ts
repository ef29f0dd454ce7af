import { appendFileSync } from 'node:fs';
import type { KnownSecret, RecordedResponse } from './secret-scan';

/** What a test platform collects from the e2e API client during its run, for the secret scan at its stop. */
export interface ApiRecording {
  /** JSON lines, one RecordedResponse per answer. */
  readonly responsesFile: string;
  /** Secrets the API handed out during the run (API tokens minted by tests). */
  readonly minted: KnownSecret[];
}

/** By API base URL: the client knows only the URL it talks to. Test files run in their own module registry. */
const recordings = new Map<string, ApiRecording>();

export function startApiRecording(apiUrl: string, responsesFile: string): ApiRecording {
  const recording: ApiRecording = { responsesFile, minted: [] };
  recordings.set(apiUrl, recording);
  return recording;
}

export function stopApiRecording(apiUrl: string): void {
  recordings.delete(apiUrl);
}

/** Appends an answer to the recording of the platform at `apiUrl`; nothing when no test platform runs there. */
export function recordApiResponse(apiUrl: string, response: RecordedResponse): void {
  const recording = recordings.get(apiUrl);
  if (recording !== undefined) appendFileSync(recording.responsesFile, `${JSON.stringify(response)}\n`);
}

/** A secret the API at `apiUrl` handed out (e.g. a new API token): the scan looks for it everywhere else. */
export function recordMintedSecret(apiUrl: string, secret: KnownSecret): void {
  recordings.get(apiUrl)?.minted.push(secret);
}
