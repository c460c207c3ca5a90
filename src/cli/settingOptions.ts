import { type Command, CommanderError, Option } from 'commander';
import { optionName, type SettingKey, settingEntries } from '../training/settings.js';

/** A flag's parser whose errors commander reports as ours: one line, exit 2. */
export function wrap<T>(parse: (text: string) => T) {
  return (text: string): T => {
    try {
      return parse(text);
    } catch (error) {
      throw new CommanderError(2, 'rxgrad.invalidArgument', (error as Error).message);
    }
  };
}

/**
 * The commander option of one row of the settings table: its flag and placeholder, help line,
 * parser, choices and default.
 *
 * @example
 * command.addOption(settingOption('learningRate')); // --lr <rate>  learning rate … (default: 0.001)
 */
export function settingOption(key: SettingKey): Option {
  const entry = settingEntries().find(([name]) => name === key);
  const setting = entry?.[1];
  if (!setting?.flag) throw new RangeError(`settingOption: '${key}' has no flag`);
  // Commander shows a default only when there is a value: what applies otherwise goes in the help line.
  const help = setting.defaultText !== undefined ? `${setting.help} (default: ${setting.defaultText})` : setting.help;
  const option = new Option(setting.placeholder ? `${setting.flag} <${setting.placeholder}>` : setting.flag, help);
  if (setting.choices) option.choices(setting.choices);
  if (setting.parse) option.argParser(wrap(setting.parse));
  // A `--no-…` switch defaults to true by itself; any other default is shown as a message shows it.
  if (setting.default !== undefined && !setting.flag.startsWith('--no-')) option.default(setting.default, setting.text(setting.default));
  return option;
}

/**
 * Adds every setting that has a flag, in the table's order: what `train` and `babysit` share.
 *
 * @example
 * addSettingOptions(program.command('train'));
 */
export function addSettingOptions(command: Command): Command {
  for (const [key, setting] of settingEntries()) if (setting.flag) command.addOption(settingOption(key));
  return command;
}

/**
 * The settings a parsed command holds, by their setting keys (`learningRate` for `--lr`), and
 * which of them the command line gave rather than left to their defaults.
 *
 * @example
 * const { values, given } = settingsOf(command);
 */
export function settingsOf(command: Command): { values: Record<string, unknown>; given: (key: SettingKey) => boolean } {
  const options = command.opts();
  const values: Record<string, unknown> = {};
  const flags = new Map<SettingKey, string>();
  for (const [key, setting] of settingEntries()) {
    if (!setting.flag) continue;
    const name = optionName(setting.flag);
    flags.set(key, name);
    if (options[name] !== undefined) values[key] = options[name];
  }
  return {
    values,
    given: (key) => {
      const name = flags.get(key);
      return name !== undefined && command.getOptionValueSource(name) === 'cli';
    },
  };
}
