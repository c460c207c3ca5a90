import { settingEntries } from '../../src/training/settings.js';

/** The README's table of settings, as the settings table says it. */
export function settingsMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const onResume = { fixed: 'kept; another value is refused', changes: 'the new value from there on', command: 'the total to reach' };
  const rows = settingEntries().map(([key, s]) => {
    const flag = s.flag ? `\`${s.flag}${s.placeholder ? ` ${s.placeholder.toUpperCase()}` : ''}\`` : '(a config file or a space)';
    const given = s.default !== undefined ? `\`${s.text(s.default)}\`` : (s.defaultText ?? '');
    const tuned = (s.tunable ?? []).map((name) => `\`${name}\``).join(', ');
    return `| ${flag} | \`${key}\` | ${given} | ${cell(s.help)}${s.choices ? `: ${s.choices.join(', ')}` : ''} | ${onResume[s.resume.kind]} | ${tuned} |`;
  });
  return [
    '| flag | setting | default | what it is | on a resume | search space |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
