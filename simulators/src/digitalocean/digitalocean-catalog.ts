/**
 * What the simulated account can see: regions, Droplet sizes and public distribution images, shaped
 * as `GET /v2/regions`, `/v2/sizes` and `/v2/images` answer them (digitalocean/openapi
 * `resources/regions|sizes|images`). Prices and disks follow DigitalOcean's Basic plans; legacy
 * regions (nyc2, ams2) are listed as unavailable with no sizes, as the real API lists them.
 */

export interface RegionEntry {
  slug: string;
  name: string;
  available: boolean;
}

export interface SizeEntry {
  slug: string;
  vcpus: number;
  /** MiB. */
  memory: number;
  /** GiB. */
  disk: number;
  /** TiB of monthly transfer. */
  transfer: number;
  priceMonthly: number;
  description: string;
}

export interface ImageEntry {
  id: number;
  slug: string;
  name: string;
  distribution: string;
  minDiskSize: number;
  sizeGigabytes: number;
  createdAt: string;
}

export const REGIONS: readonly RegionEntry[] = [
  { slug: 'nyc1', name: 'New York 1', available: true },
  { slug: 'nyc2', name: 'New York 2', available: false },
  { slug: 'nyc3', name: 'New York 3', available: true },
  { slug: 'sfo2', name: 'San Francisco 2', available: true },
  { slug: 'sfo3', name: 'San Francisco 3', available: true },
  { slug: 'ams2', name: 'Amsterdam 2', available: false },
  { slug: 'ams3', name: 'Amsterdam 3', available: true },
  { slug: 'sgp1', name: 'Singapore 1', available: true },
  { slug: 'lon1', name: 'London 1', available: true },
  { slug: 'fra1', name: 'Frankfurt 1', available: true },
  { slug: 'tor1', name: 'Toronto 1', available: true },
  { slug: 'blr1', name: 'Bangalore 1', available: true },
  { slug: 'syd1', name: 'Sydney 1', available: true },
  { slug: 'atl1', name: 'Atlanta 1', available: true },
];

export const SIZES: readonly SizeEntry[] = [
  {
    slug: 's-1vcpu-512mb-10gb',
    vcpus: 1,
    memory: 512,
    disk: 10,
    transfer: 0.5,
    priceMonthly: 4,
    description: 'Basic',
  },
  {
    slug: 's-1vcpu-1gb',
    vcpus: 1,
    memory: 1024,
    disk: 25,
    transfer: 1,
    priceMonthly: 6,
    description: 'Basic',
  },
  {
    slug: 's-1vcpu-2gb',
    vcpus: 1,
    memory: 2048,
    disk: 50,
    transfer: 2,
    priceMonthly: 12,
    description: 'Basic',
  },
  {
    slug: 's-2vcpu-2gb',
    vcpus: 2,
    memory: 2048,
    disk: 60,
    transfer: 3,
    priceMonthly: 18,
    description: 'Basic',
  },
  {
    slug: 's-2vcpu-4gb',
    vcpus: 2,
    memory: 4096,
    disk: 80,
    transfer: 4,
    priceMonthly: 24,
    description: 'Basic',
  },
  {
    slug: 's-4vcpu-8gb',
    vcpus: 4,
    memory: 8192,
    disk: 160,
    transfer: 5,
    priceMonthly: 48,
    description: 'Basic',
  },
  {
    slug: 's-8vcpu-16gb',
    vcpus: 8,
    memory: 16384,
    disk: 320,
    transfer: 6,
    priceMonthly: 96,
    description: 'Basic',
  },
  {
    slug: 'c-2',
    vcpus: 2,
    memory: 4096,
    disk: 25,
    transfer: 4,
    priceMonthly: 42,
    description: 'CPU-Optimized',
  },
  {
    slug: 'c-4',
    vcpus: 4,
    memory: 8192,
    disk: 50,
    transfer: 5,
    priceMonthly: 84,
    description: 'CPU-Optimized',
  },
  {
    slug: 'g-2vcpu-8gb',
    vcpus: 2,
    memory: 8192,
    disk: 25,
    transfer: 4,
    priceMonthly: 63,
    description: 'General Purpose',
  },
  {
    slug: 'm-2vcpu-16gb',
    vcpus: 2,
    memory: 16384,
    disk: 50,
    transfer: 4,
    priceMonthly: 84,
    description: 'Memory-Optimized',
  },
  {
    slug: 's-16vcpu-32gb',
    vcpus: 16,
    memory: 32768,
    disk: 640,
    transfer: 9,
    priceMonthly: 192,
    description: 'Basic',
  },
];

export const IMAGES: readonly ImageEntry[] = [
  {
    id: 174_811_532,
    slug: 'ubuntu-24-04-x64',
    name: '24.04 (LTS) x64',
    distribution: 'Ubuntu',
    minDiskSize: 7,
    sizeGigabytes: 2.83,
    createdAt: '2025-01-23T15:07:11Z',
  },
  {
    id: 164_393_744,
    slug: 'ubuntu-22-04-x64',
    name: '22.04 (LTS) x64',
    distribution: 'Ubuntu',
    minDiskSize: 7,
    sizeGigabytes: 2.37,
    createdAt: '2024-10-11T14:26:42Z',
  },
  {
    id: 168_806_432,
    slug: 'debian-12-x64',
    name: '12 x64',
    distribution: 'Debian',
    minDiskSize: 7,
    sizeGigabytes: 1.42,
    createdAt: '2024-11-25T18:51:22Z',
  },
  {
    id: 155_161_280,
    slug: 'debian-11-x64',
    name: '11 x64',
    distribution: 'Debian',
    minDiskSize: 7,
    sizeGigabytes: 1.16,
    createdAt: '2024-05-06T20:10:29Z',
  },
  {
    id: 172_013_711,
    slug: 'fedora-41-x64',
    name: '41 x64',
    distribution: 'Fedora',
    minDiskSize: 7,
    sizeGigabytes: 1.91,
    createdAt: '2024-12-16T19:38:46Z',
  },
  {
    id: 160_283_921,
    slug: 'rockylinux-9-x64',
    name: '9 x64',
    distribution: 'Rocky Linux',
    minDiskSize: 10,
    sizeGigabytes: 1.61,
    createdAt: '2024-08-13T16:04:22Z',
  },
];

const REGION_FEATURES = ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'];

export function regionJson(region: RegionEntry): Record<string, unknown> {
  return {
    name: region.name,
    slug: region.slug,
    features: region.available ? REGION_FEATURES : [],
    available: region.available,
    sizes: region.available ? SIZES.map((s) => s.slug) : [],
  };
}

export function sizeJson(size: SizeEntry): Record<string, unknown> {
  return {
    slug: size.slug,
    memory: size.memory,
    vcpus: size.vcpus,
    disk: size.disk,
    transfer: size.transfer,
    price_monthly: size.priceMonthly,
    price_hourly: Math.round((size.priceMonthly / 672) * 1e6) / 1e6,
    regions: REGIONS.filter((r) => r.available).map((r) => r.slug),
    available: true,
    description: size.description,
    disk_info: [{ type: 'local', size: { amount: size.disk, unit: 'gib' } }],
  };
}

export function imageJson(image: ImageEntry): Record<string, unknown> {
  return {
    id: image.id,
    name: image.name,
    distribution: image.distribution,
    slug: image.slug,
    public: true,
    regions: REGIONS.filter((r) => r.available).map((r) => r.slug),
    created_at: image.createdAt,
    type: 'base',
    min_disk_size: image.minDiskSize,
    size_gigabytes: image.sizeGigabytes,
    description: `${image.distribution} ${image.name}`,
    tags: [],
    status: 'available',
    error_message: '',
  };
}

export function findRegion(slug: string): RegionEntry | undefined {
  return REGIONS.find((r) => r.slug === slug);
}

/**
 * The region a create lands in: an exact slug, or a prefix (`nyc`) meaning any of its datacenters,
 * or (no region at all) any available region, as the API documents.
 */
export function placeRegion(requested: string | undefined): RegionEntry | undefined {
  const available = REGIONS.filter((r) => r.available);
  if (requested === undefined || requested === '') return available[0];
  const exact = REGIONS.find((r) => r.slug === requested);
  if (exact) return exact.available ? exact : undefined;
  return available.find((r) => r.slug.replace(/\d+$/, '') === requested);
}

export function findSize(slug: string): SizeEntry | undefined {
  return SIZES.find((s) => s.slug === slug);
}

/** An image by id (number or digits) or slug. */
export function findImage(ref: unknown): ImageEntry | undefined {
  if (typeof ref === 'number') return IMAGES.find((i) => i.id === ref);
  if (typeof ref !== 'string' || ref === '') return undefined;
  if (/^\d+$/.test(ref)) return IMAGES.find((i) => i.id === Number(ref));
  return IMAGES.find((i) => i.slug === ref);
}
