import { describe, expect, it } from 'vitest';
import { copiedPaths, parseDockerfile, resolveStage, shellWords } from '../../node/images/dockerfile.ts';

const dockerfile = [
  '# syntax=docker/dockerfile:1.7',
  'ARG BASE=debian:bookworm-slim',
  'FROM ${BASE} AS base',
  'ENV A=1',
  'ENV A=2 \\',
  '    # a comment inside a continuation',
  '    B="two words" C=${A}-x',
  'ENV LEGACY some value',
  'WORKDIR /srv',
  'WORKDIR app',
  'COPY --chown=1000:1000 one.txt two.txt ./',
  'CMD ["serve"]',
  'USER nobody',
  '',
  'FROM base AS final',
  'LABEL title="the \\"final\\" one" licence=MIT',
  'EXPOSE 80 53/udp',
  'ENTRYPOINT ["/bin/tool", "--flag"]',
  'COPY --from=base /srv/app/one.txt /etc/one.txt',
  'RUN echo done',
].join('\n');

describe('the Dockerfile reader', () => {
  it('resolves a target through its FROM chain, with continuations, comments, quotes and variables', () => {
    const parsed = parseDockerfile(dockerfile);
    expect(parsed.args).toEqual({ BASE: 'debian:bookworm-slim' });
    const final = resolveStage(parsed, 'final');
    expect(final).toMatchObject({
      chain: ['base', 'final'],
      baseImage: 'debian:bookworm-slim',
      env: { A: '2', B: 'two words', C: '1-x', LEGACY: 'some value' },
      labels: { title: 'the "final" one', licence: 'MIT' },
      expose: ['80/tcp', '53/udp'],
      workdir: '/srv/app',
      user: 'nobody',
      entrypoint: ['/bin/tool', '--flag'],
    });
    expect(final.cmd).toBeUndefined(); // reset by the later ENTRYPOINT
    expect(final.copies.flatMap(copiedPaths)).toEqual([
      '/srv/app/one.txt',
      '/srv/app/two.txt',
      '/etc/one.txt',
    ]);
    expect(final.copies[0]).toMatchObject({ chown: '1000:1000', destIsDir: true });
    expect(final.copies[1]).toMatchObject({ from: 'base', destIsDir: false });
    expect(resolveStage(parseDockerfile(dockerfile, { BASE: 'alpine:3' }), 'base').baseImage).toBe(
      'alpine:3',
    );
    expect(() => resolveStage(parsed, 'missing')).toThrow(/no stage/);
  });

  it('splits words as the shell does', () => {
    expect(shellWords(`a "b c" 'd e' f\\ g "h\\"i"`)).toEqual(['a', 'b c', 'd e', 'f g', 'h"i']);
    expect(() => shellWords('"open')).toThrow(/unterminated/);
  });
});
