import { Controller, Get } from '@nestjs/common';
import { listApps, optionSchema, type OptionSpec } from '@fedops/catalog';
import { Roles } from '../auth';

interface CatalogAppView {
  id: string;
  name: string;
  description: string;
  options: Record<string, OptionSpec>;
}

@Controller('v1/apps')
@Roles('ops', 'operator')
export class CatalogController {
  /** The apps an operator can pick, with their typed options and defaults. */
  @Get()
  list(): { items: CatalogAppView[] } {
    return {
      items: listApps().map((a) => ({ id: a.id, name: a.name, description: a.description, options: optionSchema(a) })),
    };
  }
}
