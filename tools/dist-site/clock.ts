/**
 * The site's clock: it starts at the `now` the site is built with and moves only when told
 * (`advance`), so tests never depend on the wall clock.
 */
import { DistSiteError } from './errors.ts';

export class SiteClock {
  #ms: number;

  constructor(start: Date) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new DistSiteError(`the site's clock moves forward only, not by ${ms} ms`);
    }
    this.#ms += ms;
  }
}
