// The part of seek-bzip (no published types) that decompress uses.
declare module 'seek-bzip' {
  const Bunzip: {
    decode(input: Uint8Array, output?: number | Uint8Array, multistream?: boolean): Uint8Array
  }
  export default Bunzip
}
