/**
 * The reviewed changes a person asks for with patch_image, patch_pull_secret
 * and patch_config: exactly what will be written, checked before anything is
 * recorded, so an approver reviews the value itself and not a description.
 */
import { z } from 'zod';

/** A change for the patch_* actions, reviewed as shown: the prompt names exactly what will be written. */
export type ReviewedPatch =
  | { kind: 'image'; container: string; image: string }
  | { kind: 'pull_secrets'; secrets: string[] }
  | { kind: 'config'; key: string; /** null removes the key (the undo of adding it). */ value: string | null };

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a Kubernetes object name');

export const reviewedPatchSchema: z.ZodType<ReviewedPatch> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('image'), container: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a container name'), image: z.string().min(1).max(512).regex(/^\S+$/, 'an image reference without spaces') }).strict(),
  z.object({ kind: z.literal('pull_secrets'), secrets: z.array(name).max(20) }).strict(),
  z.object({ kind: z.literal('config'), key: z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, 'a ConfigMap key'), value: z.string().max(256 * 1024).nullable() }).strict(),
]);

/** Which patch each action takes; every other action takes none. */
export const PATCH_KIND: Readonly<Record<string, ReviewedPatch['kind']>> = { patch_image: 'image', patch_pull_secret: 'pull_secrets', patch_config: 'config' };

/** Null when the request's patch fits its action; otherwise what is wrong, for a 400. */
export function patchProblem(action: string, patch: ReviewedPatch | undefined): string | null {
  const kind = PATCH_KIND[action];
  if (kind === undefined) return patch ? `${action} takes no patch` : null;
  if (!patch) return `${action} needs a patch of kind "${kind}": the change an approver reviews`;
  return patch.kind === kind ? null : `${action} needs a patch of kind "${kind}", not "${patch.kind}"`;
}

/** The change as an approval prompt shows it; ConfigMap values are sized, not shown, as they may be sensitive. */
export function describePatch(patch: ReviewedPatch): string {
  switch (patch.kind) {
    case 'image':
      return `container ${patch.container} → ${patch.image}`;
    case 'pull_secrets':
      return `imagePullSecrets → [${patch.secrets.join(', ')}]`;
    case 'config':
      return patch.value === null ? `key ${patch.key} removed` : `key ${patch.key} set (${patch.value.length} bytes)`;
  }
}
