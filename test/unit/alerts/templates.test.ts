import { describe, expect, it } from 'vitest';
import { rulesFrom } from '../../../services/alerts/rules.js';
import { renderTemplate, TemplateError } from '../../../services/alerts/templates.js';

const data = (labels: Record<string, string>, value = 3.14159) => ({ labels, value, externalUrl: 'http://grafana.test' });

describe('renderTemplate', () => {
  it('renders labels, values, printf and externalURL', () => {
    expect(renderTemplate('{{ $labels.region }} at {{ printf "%.1f" $values.A.Value }} ({{ $values.A.Value }}) {{ externalURL }}/d', data({ region: 'eu' }))).toBe(
      'eu at 3.1 (3.14159) http://grafana.test/d',
    );
  });

  it('chooses branches with eq, truthiness, not, or and and', () => {
    const t = '{{ if eq $labels.kind "a" }}A{{ else if $labels.code }}code {{ $labels.code }}{{ else }}other{{ end }}';
    expect(renderTemplate(t, data({ kind: 'a', code: 'X' }))).toBe('A');
    expect(renderTemplate(t, data({ kind: 'b', code: 'X' }))).toBe('code X');
    expect(renderTemplate(t, data({ kind: 'b', code: '' }))).toBe('other');
    const platform = '{{ if not (or $labels.region $labels.app_id) }}everywhere{{ end }}';
    expect(renderTemplate(platform, data({ region: '', app_id: '' }))).toBe('everywhere');
    expect(renderTemplate(platform, data({ region: 'eu', app_id: '' }))).toBe('');
    expect(renderTemplate('{{ if and $labels.a $labels.b }}both{{ end }}', data({ a: '1', b: '' }))).toBe('');
    expect(renderTemplate('{{ if ne $labels.a "x" }}not x{{ end }}', data({ a: 'y' }))).toBe('not x');
  });

  it('refuses what it cannot render instead of passing it through', () => {
    expect(() => renderTemplate('{{ $labels.a | upper }}', data({}))).toThrow(TemplateError);
    expect(() => renderTemplate('{{ humanize $values.A.Value }}', data({}))).toThrow(TemplateError);
    expect(() => renderTemplate('{{ if $labels.a }}open', data({}))).toThrow(TemplateError);
    expect(() => renderTemplate('{{ end }}', data({}))).toThrow(TemplateError);
  });

  it('renders every rule’s annotations and link for any of its label values, leaving no template behind', () => {
    for (const rule of rulesFrom()) {
      for (const empty of [false, true]) {
        const labels = Object.fromEntries(rule.instanceLabels.map((l, i) => [l, empty && i > 0 ? '' : `v${i}`]));
        for (const template of [rule.summary, rule.description, rule.dashboardUrl]) {
          const text = renderTemplate(template, data(labels));
          expect(text, `${rule.uid}: ${template}`).not.toMatch(/\{\{|\}\}/);
        }
      }
      expect(renderTemplate(rule.dashboardUrl, data({}))).toMatch(/^http:\/\/grafana\.test\/d\/errpulse-[a-z-]+\?.*viewPanel=\d+$/);
      expect(rule.runbookUrl).toMatch(/\/runbook\.md#[a-z0-9-]+$/);
    }
  });
});
