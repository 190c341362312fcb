// circom's .sym file: one line per signal, `labelIndex,wireIndex,componentIndex,name`.
// Several signals can share a wire (a component's output and the signal it is
// assigned to), and --O2 removes wires it can substitute (wire index -1).
import { readFileSync } from 'node:fs';

export interface Symbols {
  /** Every signal name carried by each wire (index = wire). */
  namesOfWire: string[][];
  /** The wire of each signal name, or -1 when the optimiser removed it. */
  wireOf: Map<string, number>;
  /** Signal names in label order (label 1 is the first output). */
  labels: string[];
}

/** Parses a .sym file for a circuit with `nVars` wires. */
export function readSymbols(path: string, nVars: number): Symbols {
  const namesOfWire: string[][] = Array.from({ length: nVars }, () => []);
  const wireOf = new Map<string, number>();
  const labels: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const [label, wire, , name] = line.split(',');
    const wireIndex = Number(wire);
    labels[Number(label)] = name;
    wireOf.set(name, wireIndex);
    if (wireIndex >= 0) namesOfWire[wireIndex].push(name);
  }
  return { namesOfWire, wireOf, labels };
}

/** A readable name for a wire: its shortest signal name (the one closest to main). */
export function wireName(symbols: Symbols, wire: number): string {
  if (wire === 0) return 'one';
  const names = symbols.namesOfWire[wire];
  if (!names?.length) return `wire ${wire}`;
  return names.reduce((best, n) => (n.length < best.length ? n : best));
}
