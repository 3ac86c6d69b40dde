import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateError } from '../../adapters/alertmanager/template.js';

const labels = { node: 'worker-1', namespace: 'shop', pod: 'api-1', instance: '10.0.0.7:9100', v6: '[fe80::1]:9100', empty: '' };
const render = (t: string, l: Record<string, string> = labels): string | undefined => compileTemplate(t).render(l);

describe('mapping templates', () => {
  it('read labels in the forms Prometheus and Alertmanager templates use', () => {
    expect(render('{{ $labels.node }}')).toBe('worker-1');
    expect(render('{{ .Labels.node }}')).toBe('worker-1');
    expect(render('{{node}}')).toBe('worker-1');
    expect(render('{{namespace}}.{{pod}}')).toBe('shop.api-1');
    expect(render('pod/{{ $labels.namespace }}/{{ $labels.pod }}')).toBe('pod/shop/api-1');
    expect(render('fixed')).toBe('fixed');
  });

  it('take the first non-empty value with or, literals included', () => {
    expect(render('{{ or $labels.missing $labels.empty $labels.node }}')).toBe('worker-1');
    expect(render('{{ or $labels.missing "default" }}')).toBe('default');
  });

  it('strip a port the way Go does', () => {
    expect(render('{{ $labels.instance | stripPort }}')).toBe('10.0.0.7');
    expect(render('{{ $labels.v6 | stripPort }}')).toBe('fe80::1');
    expect(render('{{ $labels.node | stripPort }}')).toBe('worker-1');
    expect(render('{{ or $labels.nodename $labels.instance | stripPort }}')).toBe('10.0.0.7');
  });

  it('render nothing when a placeholder has no value, so no subject has a hole', () => {
    expect(render('{{ $labels.namespace }}.{{ $labels.missing }}')).toBeUndefined();
    expect(render('{{ empty }}')).toBeUndefined();
  });

  it.each([
    ['{{ }}', /empty placeholder/],
    ['{{ lower node }}', /unknown function "lower"/],
    ['{{ node | toUpper }}', /unknown pipe "toUpper"/],
    ['{{ or node }}', /at least two arguments/],
    ['{{ $labels.no-dash }}', /not a label reference/],
    ['{{ node }', /unbalanced/],
    ['node }}', /unbalanced/],
  ])('refuse %s', (template, message) => {
    expect(() => compileTemplate(template)).toThrow(TemplateError);
    expect(() => compileTemplate(template)).toThrow(message);
  });
});
