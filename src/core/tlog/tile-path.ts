/**
 * C2SP tlog-tiles resource names: `tile/<L>/<N>[.p/<W>]` for Merkle tree tiles and
 * `tile/entries/<N>[.p/<W>]` for entry bundles. `<N>` is written in zero-padded 3-digit
 * groups, all but the last prefixed with `x` (1234067 → `x001/x234/067`); `<L>` is 0–63 and
 * `<W>` 1–255, both without leading zeroes; `.p/<W>` marks a partial tile of W hashes.
 *
 * Contract: pure. Parsing accepts only the canonical spelling, so one resource has one path.
 */
import { err, ok, type Result } from '../result.ts';

/** Hashes (or entries) in a full tile, and the tile height in tree levels. */
export const TILE_WIDTH = 256;
export const TILE_HEIGHT = 8;
export const MAX_TILE_LEVEL = 63;

export interface TileCoordinates {
  /** A Merkle tree level (0 = leaf hashes), or `entries` for an entry bundle. */
  readonly level: number | 'entries';
  readonly index: number;
  /** 1–256: hashes (or entries) it holds; 256 is a full tile, anything less is partial. */
  readonly width: number;
}

export function isFullTile(tile: TileCoordinates): boolean {
  return tile.width === TILE_WIDTH;
}

/** `x001/x234/067` for 1234067. */
export function formatTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad tile index ${index}`);
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups
    .map((group, position) => (position < groups.length - 1 ? `x${group}` : group))
    .join('/');
}

/** The resource path (no leading slash) of a tile or entry bundle. */
export function formatTilePath(tile: TileCoordinates): string {
  const { level, width } = tile;
  if (level !== 'entries' && (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL)) {
    throw new RangeError(`bad tile level ${level}`);
  }
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new RangeError(`bad tile width ${width}`);
  }
  const suffix = width === TILE_WIDTH ? '' : `.p/${width}`;
  return `tile/${level}/${formatTileIndex(tile.index)}${suffix}`;
}

/** Parses `tile/…` (without a leading slash); only the canonical spelling is accepted. */
export function parseTilePath(path: string): Result<TileCoordinates, string> {
  const match =
    /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(
      path,
    );
  if (!match) return err('not a tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]');
  const [, levelText = '', indexText = '', widthText] = match;
  const level: TileCoordinates['level'] = levelText === 'entries' ? 'entries' : Number(levelText);
  if (level !== 'entries' && level > MAX_TILE_LEVEL) return err(`level ${level} is above 63`);
  const index = Number(indexText.replace(/x/g, '').replace(/\//g, ''));
  if (!Number.isSafeInteger(index)) return err('tile index too large');
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (widthText !== undefined && width >= TILE_WIDTH) {
    return err('a partial tile holds 1–255 hashes');
  }
  const tile: TileCoordinates = { level, index, width };
  // Leading zero groups (x000/001) are not canonical.
  return formatTilePath(tile) === path ? ok(tile) : err('not the canonical tile path');
}

/** How many hashes level `level` of a tree of `treeSize` has: floor(size / 256^level). */
export function hashesAtLevel(level: number, treeSize: number): number {
  return Math.floor(treeSize / TILE_WIDTH ** level);
}

/**
 * The width tile (level, index) has in a tree of `treeSize`: 256 when full, 1–255 when it is
 * the partial rightmost tile, 0 when the tree does not reach it. Entry bundles have level 0's.
 */
export function tileWidthAt(level: number | 'entries', index: number, treeSize: number): number {
  const count = hashesAtLevel(level === 'entries' ? 0 : level, treeSize);
  return Math.max(0, Math.min(TILE_WIDTH, count - index * TILE_WIDTH));
}

/** Every tile and entry bundle a tree of `treeSize` is served as (partial ones included). */
export function tilesForTreeSize(treeSize: number): TileCoordinates[] {
  const tiles: TileCoordinates[] = [];
  for (let level = 0; hashesAtLevel(level, treeSize) > 0; level += 1) {
    const count = hashesAtLevel(level, treeSize);
    for (let index = 0; index * TILE_WIDTH < count; index += 1) {
      tiles.push({ level, index, width: tileWidthAt(level, index, treeSize) });
      if (level === 0)
        tiles.push({ level: 'entries', index, width: tileWidthAt(0, index, treeSize) });
    }
  }
  return tiles;
}
