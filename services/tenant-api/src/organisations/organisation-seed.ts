import { type OnApplicationBootstrap } from '@nestjs/common';
import { ORG_ID } from './organisation.dto';
import type { OrganisationService } from './organisation.service';

export interface SeedOrganisation {
  id: string;
  name: string;
}

/**
 * FEDOPS_SEED_ORGANISATIONS: `id[=name],...`, e.g. `acme=Acme Corp,globex=Globex`. For development and
 * tests, where the embedded issuer's operators name these organisations; in production ops staff
 * create organisations through the API.
 */
export function parseSeedOrganisations(raw: string): SeedOrganisation[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const at = entry.indexOf('=');
      const id = (at < 0 ? entry : entry.slice(0, at)).trim();
      const name = (at < 0 ? id : entry.slice(at + 1)).trim();
      if (!ORG_ID.test(id)) throw new Error(`${JSON.stringify(id)} is not an organisation id`);
      if (name === '') throw new Error(`organisation ${id} has an empty name`);
      return { id, name };
    });
}

/** Creates the configured organisations that are missing, before the API takes requests. */
export class OrganisationSeeder implements OnApplicationBootstrap {
  constructor(
    private readonly organisations: OrganisationService,
    private readonly seed: readonly SeedOrganisation[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.seed.length > 0) await this.organisations.seed(this.seed);
  }
}
