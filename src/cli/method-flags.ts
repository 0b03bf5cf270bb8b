/**
 * The command-line side of the method registry: which methods a command runs (--method), help
 * text listing them, and the check that every method option given on the command line applies
 * to at least one chosen method (`--preset` with only gradcam is an error naming gradcam).
 */
import { APPLIES_TO_TEXT, METHOD_DESCRIPTORS, METHOD_NAMES, methodDescriptor, methodsAccepting, whyNotApplicable, type RegisteredMethod } from '../cam/methods.js';
import type { Module } from '../nn/module.js';
import { CamlabError } from '../tensor/errors.js';
import { value, type ParsedArgs } from './args.js';

/** A flag that sets a method option: `option` is the key of ExplainOptions it sets. */
export interface MethodFlag {
  flag: string;
  option: string;
}

/**
 * The methods named by --method (repeatable) and --methods a,b,c, in the order given, each
 * once; `fallback` when none is named. An unknown name is an error listing the known ones.
 */
export function chosenMethods(command: string, args: ParsedArgs, fallback: readonly string[]): RegisteredMethod[] {
  const named = [...(args.values.get('method') ?? []), ...(value(args, 'methods')?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [])];
  const names = named.length === 0 ? fallback : named;
  return [...new Set(names)].map((n) => methodDescriptor(n, command));
}

/**
 * Fails when a method flag was given but none of the chosen methods accepts its option, naming
 * the chosen methods and the ones that would; a --preset value must be a preset of every chosen
 * method that takes presets.
 */
export function checkMethodFlags(command: string, args: ParsedArgs, methods: readonly RegisteredMethod[], flags: readonly MethodFlag[]): void {
  for (const { flag, option } of flags) {
    if (!args.values.has(flag) && !args.switches.has(flag)) continue;
    const takers = methods.filter((m) => m.accepts.includes(option));
    if (takers.length === 0) {
      const names = methods.map((m) => m.name).join(', ');
      throw new CamlabError(command, `--${flag} does not apply to ${names} (it applies to ${acceptingNames(option)})`);
    }
    if (option === 'preset') {
      const preset = value(args, flag)!;
      for (const m of takers) {
        if (!m.presets.includes(preset)) throw new CamlabError(command, `--${flag} ${preset} is not a preset of ${m.name} (its presets: ${m.presets.join(', ')})`);
      }
    }
  }
}

/** Fails (one line naming the model) when a chosen method does not apply to the model, e.g. a rollout on a CNN. */
export function checkApplicable(command: string, methods: readonly RegisteredMethod[], model: Module, modelName: string): void {
  for (const m of methods) {
    if (whyNotApplicable(m, model) !== null) throw new CamlabError(command, `${m.name} does not apply to ${modelName}: it needs ${APPLIES_TO_TEXT[m.appliesTo]}`);
  }
}

/** The names of the methods that accept an option, comma-separated (for help text and errors). */
export function acceptingNames(option: string): string {
  return methodsAccepting(option).map((m) => m.name).join(', ');
}

/** Help lines listing every method (name, label, paper, and the models it needs unless any), indented. */
export function methodList(indent: string): string {
  const width = Math.max(...METHOD_NAMES.map((n) => n.length));
  const needs = (m: RegisteredMethod): string => (m.appliesTo === 'any' ? '' : `, ${m.appliesTo === 'transformer' ? 'transformers' : 'GAP + linear head'} only`);
  return METHOD_DESCRIPTORS.map((m) => `${indent}${m.name.padEnd(width)}  ${m.label} (${m.paper.cite})${needs(m)}`).join('\n');
}

/** Help lines naming each method's presets, indented. */
export function presetList(indent: string): string {
  return methodsAccepting('preset').map((m) => `${indent}${m.name}: ${m.presets.join(', ')}`).join('\n');
}

/**
 * Notes on method flags that some chosen methods take and others do not (the others run
 * without them): `--exact applies to gradcam++ only; layercam does not take it`.
 */
export function partialFlagNotes(args: ParsedArgs, methods: readonly RegisteredMethod[], flags: readonly MethodFlag[]): string[] {
  const given = flags.filter(({ flag }) => args.values.has(flag) || args.switches.has(flag));
  const options = [...new Set(given.map((f) => f.option))];
  return options.flatMap((option) => {
    const names = given.filter((f) => f.option === option).map((f) => `--${f.flag}`);
    const takers = methods.filter((m) => m.accepts.includes(option)).map((m) => m.name);
    const others = methods.filter((m) => !m.accepts.includes(option)).map((m) => m.name);
    if (takers.length === 0 || others.length === 0) return [];
    const them = names.length === 1 ? 'it' : 'them';
    return [`${names.join(', ')} ${names.length === 1 ? 'applies' : 'apply'} to ${takers.join(', ')} only; ${others.join(', ')} ${others.length === 1 ? 'does' : 'do'} not take ${them}`];
  });
}
