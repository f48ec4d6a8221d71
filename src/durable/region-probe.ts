/**
 * RegionProbe: one per configured region (issue 10). Placeholder class so the binding and
 * its migration exist; the regional checks are added by the regional-probes work.
 */
import { DurableObject } from 'cloudflare:workers';
import type { MonitorEnv } from '../env';

export class RegionProbe extends DurableObject<MonitorEnv> {}
