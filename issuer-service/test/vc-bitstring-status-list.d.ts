/** The part of @digitalbazaar/vc-bitstring-status-list (plain JS, no types) the status list test uses. */
declare module '@digitalbazaar/vc-bitstring-status-list' {
  export class BitstringStatusList {
    readonly length: number;
    getStatus(index: number): boolean;
    setStatus(index: number, status: boolean): void;
    encode(): Promise<string>;
  }
  export function createList(args: { length: number }): Promise<BitstringStatusList>;
  export function decodeList(args: { encodedList: string }): Promise<BitstringStatusList>;
  export function statusTypeMatches(args: { credential: unknown }): boolean;
  export function assertBitstringStatusListContext(args: { credential: unknown }): void;
}
