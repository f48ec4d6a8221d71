/**
 * Runs a JSON command (a CLI flag, a control request, `site.apply`) as the DistSite method
 * it stands for.
 */
import type { AttackCommand, DistSite } from './types.ts';

export async function applyCommand(site: DistSite, command: AttackCommand): Promise<void> {
  switch (command.attack) {
    case 'tamper-artifact':
      return site.tamperArtifact(command.version, command.file, command.offset);
    case 'alter-manifest':
      return site.alterManifest(command.version);
    case 'resign-manifest':
      return site.resignManifest(command.version);
    case 'sign-with-other-key':
      return site.signWithOtherKey(command.version);
    case 'poison-cache':
      return site.poisonCache(command.path, command.regions);
    case 'drop-file':
      return site.dropFile(command.path);
    case 'set-header':
      return site.setHeader(command.path, command.name, command.value);
    case 'redirect':
      return site.redirect(command.path, command.to);
    case 'rollback-index':
      return site.rollbackIndex();
    case 'down':
      return site.down(command.regions);
    case 'slow':
      return site.slow(command.ms);
    case 'change-metadata':
      return site.changeMetadata(command.path);
    case 'cloak':
      return site.cloak(
        command.path,
        {
          ...(command.monitor !== undefined && { monitor: command.monitor }),
          ...(command.others !== undefined && { others: command.others }),
        },
        command.detect,
      );
    case 'answer-by-query':
      return site.answerByQuery(command.path, {
        ...(command.query !== undefined && { query: command.query }),
        ...(command.plain !== undefined && { plain: command.plain }),
      });
    case 'substitute-manifest':
      return site.substituteManifest(command.version, command.from);
    case 'prune-index':
      return site.pruneIndex(command.versions);
    case 'rewrite-index':
      return site.rewriteIndex(command.version, command.fields);
    case 'origin-fallback':
      return site.originFallback(command.path);
    case 'cacheable-404':
      return site.cacheable404();
    case 'edge-cache':
      return site.enableEdgeCache();
    case 'purge':
      return site.purge(command.paths);
    case 'advance-clock':
      return site.advance(command.ms);
    case 'promote-release': {
      const { attack: _attack, ...release } = command;
      return site.promoteRelease(release);
    }
    case 'reset':
      return site.reset();
  }
}
