// The circuit's own witness generator (the compiled wasm), in the two modes
// the soundness tests need.
//
// circom 2.2 compiles every `===` into an assert that aborts the witness
// computation, whatever circom_runtime's sanityCheck flag or circom's
// --sanity_check level says: an input that breaks a rule never yields a
// witness. A cheating prover is not bound by the generator; what stops it is
// the R1CS. So for the "adversary's" witness the wasm is patched: in each
// assert's failure branch (`call $printErrorMessage; i32.const 4; return`)
// the `return` becomes a `drop`, and the computation goes on. The witness that
// comes out is what an adversary would hand the prover, and the tests show
// the R1CS rejects it. The unpatched wasm is kept for the checked mode.
import { readFileSync } from 'node:fs';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import type { CircuitInput } from './statement-input.js';

interface CircomWitnessCalculator {
  calculateWitness(input: CircuitInput, sanityCheck: boolean): Promise<bigint[]>;
}

const EXCEPTIONS: Record<number, string> = {
  1: 'Signal not found',
  2: 'Too many signals set',
  3: 'Signal already set',
  4: 'Assert Failed',
  5: 'Not enough memory',
  6: 'Input signal array access exceeds the size',
};

const OP_CALL = 0x10;
const OP_I32_CONST = 0x41;
const OP_RETURN = 0x0f;
const OP_DROP = 0x1a;
const ASSERT_FAILED = 4;

/**
 * The wasm with every failed assert reported but not fatal. Returns the
 * patched bytes and how many assert sites were patched.
 */
export function tolerateAsserts(wasm: Uint8Array<ArrayBuffer>): { wasm: Uint8Array<ArrayBuffer>; sites: number } {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm)).filter((i) => i.kind === 'function');
  const printErrorMessage = imports.findIndex((i) => i.name === 'printErrorMessage');
  // Function indices below 128 are one LEB128 byte; imports come first.
  if (printErrorMessage < 0 || printErrorMessage > 127) throw new Error('unexpected wasm layout: no printErrorMessage import');
  const patched = new Uint8Array(wasm);
  let sites = 0;
  for (let i = 0; i + 4 < patched.length; i++) {
    if (patched[i] === OP_CALL && patched[i + 1] === printErrorMessage && patched[i + 2] === OP_I32_CONST && patched[i + 3] === ASSERT_FAILED && patched[i + 4] === OP_RETURN) {
      patched[i + 4] = OP_DROP;
      sites++;
    }
  }
  return { wasm: patched, sites };
}

/** A witness computed past failed asserts, with the asserts that failed ("Error in template T line: N"). */
export interface UncheckedWitness {
  witness: bigint[];
  failedAsserts: string[];
}

/** A circom wasm witness generator with a runtime that can collect assert messages. */
class Generator {
  private message = '';
  messages: string[] = [];
  private instance!: WebAssembly.Instance;
  wc!: CircomWitnessCalculator;

  static async load(wasm: Uint8Array<ArrayBuffer>): Promise<Generator> {
    const self = new Generator();
    self.instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), {
      runtime: {
        exceptionHandler: (code: number) => {
          const trace = self.message.trim();
          self.message = '';
          throw new Error(`${EXCEPTIONS[code] ?? `Unknown error ${code}`}. ${trace}`);
        },
        printErrorMessage: () => {
          const text = self.readMessage();
          self.message += text + '\n';
          self.messages.push(text);
        },
        writeBufferMessage: () => {
          self.readMessage();
        },
        showSharedRWMemory: () => {},
      },
    });
    // circom_runtime accepts a ready instance in place of the wasm bytes.
    self.wc = (await WitnessCalculatorBuilder(self.instance as unknown as Uint8Array)) as CircomWitnessCalculator;
    return self;
  }

  reset(): void {
    this.message = '';
    this.messages = [];
  }

  /** The wasm's pending message, read one character at a time through getMessageChar. */
  private readMessage(): string {
    const getMessageChar = this.instance.exports.getMessageChar as () => number;
    let text = '';
    for (let c = getMessageChar(); c !== 0; c = getMessageChar()) text += String.fromCharCode(c);
    return text;
  }
}

export class WitnessCalculator {
  private constructor(
    private readonly honest: Generator,
    private readonly tolerant: Generator,
    /** How many asserts the tolerant generator reports instead of aborting on. */
    readonly assertSites: number,
  ) {}

  static async load(wasmPath: string): Promise<WitnessCalculator> {
    const wasm = new Uint8Array(readFileSync(wasmPath));
    const { wasm: patched, sites } = tolerateAsserts(wasm);
    return new WitnessCalculator(await Generator.load(wasm), await Generator.load(patched), sites);
  }

  /** The witness with failed asserts recorded instead of enforced: what a cheating prover could submit. */
  async unchecked(input: CircuitInput): Promise<UncheckedWitness> {
    this.tolerant.reset();
    const witness = await this.tolerant.wc.calculateWitness(input, false);
    return { witness, failedAsserts: [...this.tolerant.messages] };
  }

  /**
   * The witness as @zkkyc/prover computes it (the unpatched generator, sanity
   * checks on). Rejects with "Assert Failed. Error in template …" when the
   * input breaks a rule.
   */
  checked(input: CircuitInput): Promise<bigint[]> {
    this.honest.reset();
    return this.honest.wc.calculateWitness(input, true);
  }
}
