// Transport commands leave in call order. Usually a command is sent at once; while something is awaited
// (start-up, the confirmation of a subscription whose echo a broadcast relies on), later commands
// queue behind it instead of overtaking it — the order in which a server broadcasts is the order in
// which every server delivers.

const noop = () => {};

export class OrderedSender {
  /** Tail of the queue while something is awaited; undefined when commands go straight out. */
  private tail: Promise<void> | undefined;

  /** Holds every later send until `barrier` settles. */
  hold(barrier: Promise<unknown>): void {
    this.send(barrier, () => Promise.resolve()).catch(noop);
  }

  /** Issues `command` after everything before it, and after `waitFor` (if any) has settled. */
  send<T>(waitFor: Promise<unknown> | undefined, command: () => Promise<T>): Promise<T> {
    if (!this.tail && !waitFor) return command();
    const previous = this.tail ?? Promise.resolve();
    let result!: Promise<T>;
    const issued = previous
      .then(() => waitFor)
      .then(noop, noop)
      .then(() => {
        result = command();
      });
    this.tail = issued;
    issued.then(() => {
      if (this.tail === issued) this.tail = undefined;
    });
    return issued.then(() => result);
  }
}
