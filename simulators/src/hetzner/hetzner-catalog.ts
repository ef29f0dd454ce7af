/**
 * What a Hetzner Cloud project can order, as the API describes it (ids, names and figures of the
 * real catalogue; prices in EUR, rounded): locations, server types and images. Server objects embed
 * these documents whole, as the API does.
 */

export interface HetznerLocation {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export const LOCATIONS: readonly HetznerLocation[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
  },
  {
    id: 4,
    name: 'ash',
    description: 'Ashburn, VA',
    country: 'US',
    city: 'Ashburn, VA',
    latitude: 39.045821,
    longitude: -77.487073,
    network_zone: 'us-east',
  },
];

/** The deprecated datacenter names (`fsn1-dc14`) a create may still name instead of a location. */
export const DATACENTERS: Readonly<Record<string, string>> = {
  'fsn1-dc14': 'fsn1',
  'nbg1-dc3': 'nbg1',
  'hel1-dc2': 'hel1',
  'ash-dc1': 'ash',
};

interface ServerTypeSpec {
  id: number;
  name: string;
  description: string;
  category: string;
  cores: number;
  /** GB. */
  memory: number;
  /** GB. */
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  monthly: number;
  /** Locations it is sold in (all when absent). */
  locations?: string[];
}

const SERVER_TYPE_SPECS: readonly ServerTypeSpec[] = [
  {
    id: 22,
    name: 'cpx11',
    description: 'CPX 11',
    category: 'regular_purpose',
    cores: 2,
    memory: 2,
    disk: 40,
    cpu_type: 'shared',
    monthly: 4.99,
  },
  {
    id: 104,
    name: 'cx22',
    description: 'CX22',
    category: 'cost_optimized',
    cores: 2,
    memory: 4,
    disk: 40,
    cpu_type: 'shared',
    monthly: 3.79,
    locations: ['fsn1', 'nbg1', 'hel1'],
  },
  {
    id: 23,
    name: 'cpx21',
    description: 'CPX 21',
    category: 'regular_purpose',
    cores: 3,
    memory: 4,
    disk: 80,
    cpu_type: 'shared',
    monthly: 8.99,
  },
  {
    id: 24,
    name: 'cpx31',
    description: 'CPX 31',
    category: 'regular_purpose',
    cores: 4,
    memory: 8,
    disk: 160,
    cpu_type: 'shared',
    monthly: 16.49,
  },
];

export interface HetznerServerType {
  id: number;
  name: string;
  description: string;
  category: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type: 'local';
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86';
  deprecated: boolean;
  deprecation: null;
  included_traffic: number;
  prices: unknown[];
  locations: Array<{ id: number; name: string; deprecation: null; recommended: boolean; available: boolean }>;
}

const TB = 1024 ** 4;

function money(amount: number): { net: string; gross: string } {
  return { net: amount.toFixed(4), gross: (amount * 1.19).toFixed(4) };
}

export const SERVER_TYPES: readonly HetznerServerType[] = SERVER_TYPE_SPECS.map((spec) => {
  const locations = LOCATIONS.filter((l) => spec.locations === undefined || spec.locations.includes(l.name));
  return {
    id: spec.id,
    name: spec.name,
    description: spec.description,
    category: spec.category,
    cores: spec.cores,
    memory: spec.memory,
    disk: spec.disk,
    storage_type: 'local',
    cpu_type: spec.cpu_type,
    architecture: 'x86',
    deprecated: false,
    deprecation: null,
    included_traffic: 0,
    prices: locations.map((l) => ({
      location: l.name,
      price_hourly: money(spec.monthly / 730),
      price_monthly: money(spec.monthly),
      included_traffic: (l.network_zone === 'eu-central' ? 20 : 1) * TB,
      price_per_tb_traffic: money(1),
    })),
    locations: locations.map((l) => ({
      id: l.id,
      name: l.name,
      deprecation: null,
      recommended: true,
      available: true,
    })),
  };
});

export interface HetznerImage {
  id: number;
  type: 'system' | 'snapshot' | 'backup' | 'app';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  created_from: { id: number; name: string } | null;
  bound_to: number | null;
  os_flavor: string;
  os_version: string | null;
  architecture: 'x86' | 'arm';
  rapid_deploy: boolean;
  protection: { delete: boolean };
  deprecated: string | null;
  deleted: string | null;
  labels: Record<string, string>;
}

function systemImage(
  id: number,
  name: string,
  description: string,
  flavor: string,
  version: string,
): HetznerImage {
  return {
    id,
    type: 'system',
    status: 'available',
    name,
    description,
    image_size: null,
    disk_size: 5,
    created: '2024-04-25T09:00:00+00:00',
    created_from: null,
    bound_to: null,
    os_flavor: flavor,
    os_version: version,
    architecture: 'x86',
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
  };
}

/**
 * The system images, and one snapshot (images of type `snapshot` have no name: they are referred to
 * by id) such as ops register as a provider's image: a prepared NixOS disk.
 */
export const IMAGES: readonly HetznerImage[] = [
  systemImage(161547269, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04'),
  systemImage(67794396, 'ubuntu-22.04', 'Ubuntu 22.04', 'ubuntu', '22.04'),
  systemImage(114690387, 'debian-12', 'Debian 12', 'debian', '12'),
  {
    ...systemImage(310000001, '', 'fedops NixOS 24.11 base', 'unknown', ''),
    type: 'snapshot',
    name: null,
    os_version: null,
    image_size: 2.3,
    disk_size: 20,
    created: '2025-11-02T12:00:00+00:00',
    created_from: { id: 4711, name: 'nixos-builder' },
    rapid_deploy: false,
    labels: { 'fedops-image': 'nixos-24-11' },
  },
];

/** Finds by id (number or digit string) or name, as the API resolves `server_type`, `image`, `location`. */
export function byIdOrName<T extends { id: number; name: string | null }>(
  items: readonly T[],
  ref: unknown,
): T | undefined {
  if (typeof ref === 'number') return items.find((item) => item.id === ref);
  if (typeof ref !== 'string' || ref === '') return undefined;
  if (/^\d+$/.test(ref)) return items.find((item) => item.id === Number(ref));
  return items.find((item) => item.name === ref);
}
