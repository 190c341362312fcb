// Compiles every circuit into circuits/build/ (r1cs, wasm, sym), failing on
// any --inspect warning. `npm run compile -w @zkkyc/circuits`.
import { CIRCUITS, compile } from './circom.mjs';

for (const circuit of CIRCUITS) {
  const built = compile(circuit);
  console.log(`${circuit.name}: ${built.constraints} constraints -> ${built.r1cs}`);
}
