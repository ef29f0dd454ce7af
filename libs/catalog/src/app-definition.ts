/** Typed option of an app, validated at the API edge and rendered into the app's NixOS module. */
export type OptionSpec =
  | {
      type: 'string';
      description: string;
      default?: string;
      required?: boolean;
      pattern?: string;
      patternHint?: string;
      maxLength?: number;
    }
  | { type: 'boolean'; description: string; default?: boolean; required?: boolean }
  | { type: 'integer'; description: string; default?: number; required?: boolean; min?: number; max?: number }
  | { type: 'enum'; description: string; default?: string; required?: boolean; values: readonly string[] };

export type OptionValue = string | number | boolean;

export interface AppDefinition {
  id: string;
  name: string;
  description: string;
  /** TCP port the app (or its health stand-in on sandbox hosts) listens on inside the machine. */
  port: number;
  /** Path answered with 200 when the app is healthy. */
  healthPath: string;
  /** Options besides `subdomain`, which every app has. */
  options: Record<string, OptionSpec>;
  defaultSubdomain: string;
}
