/** Raised by the codec on input that is not a valid Engine.IO 4 packet or payload. */
export class EngineParseError extends Error {
  override readonly name = "EngineParseError";
}
