/**
 * The supported Node.js releases are named once, in scripts/node/versions.env;
 * the package's engines, the image and the running suite must agree with it,
 * so a suite run on an unsupported Node (the machine's 20) fails here first.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const env = Object.fromEntries(
  readFileSync(new URL('scripts/node/versions.env', root), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_0-9]+=/.test(line))
    .map((line) => {
      const [key, value] = line.split('=', 2) as [string, string];
      return [key, value.replace(/^"|"$/g, '')];
    }),
);
const majors = (env.NODE_MAJORS ?? '').split(' ').filter(Boolean);

describe('supported Node.js releases', () => {
  it('name a pinned version for every major, lowest first', () => {
    expect(majors.length).toBeGreaterThan(0);
    expect([...majors].sort((a, b) => Number(a) - Number(b))).toEqual(majors);
    for (const major of majors) expect(env[`NODE_${major}`], `NODE_${major}`).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
    expect(majors).toContain(env.NODE_DEFAULT_MAJOR);
  });

  it('are what package.json requires and what the image runs', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
    // The lowest major, at a minor its dependencies accept (client-node's undici wants 22.19), and the pinned release meets it.
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor, pkg.engines.node).not.toBeNull();
    expect(floor![1]).toBe(majors[0]);
    expect(Number(env[`NODE_${majors[0]}`]!.split('.')[1])).toBeGreaterThanOrEqual(Number(floor![2]));
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    const newest = majors[majors.length - 1]!;
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${env[`NODE_${newest}`]!.replace(/\./g, '\\.')}-bookworm$`, 'm'));
  });

  it('include the Node.js running this suite', () => {
    expect(majors).toContain(process.versions.node.split('.')[0]);
  });
});
