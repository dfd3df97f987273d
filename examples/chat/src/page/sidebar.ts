import type { Room, User } from "../shared/events.js";
import { byId, element } from "./dom.js";

/** Rooms to switch between and who is online in the current one. */
export class Sidebar {
  readonly #rooms = byId<HTMLUListElement>("rooms");
  readonly #users = byId<HTMLUListElement>("users");
  readonly #count = byId("online-count");
  readonly #buttons = new Map<Room, HTMLButtonElement>();

  constructor(rooms: readonly Room[], onPick: (room: Room) => void) {
    for (const room of rooms) {
      const button = element("button", "room", `# ${room}`);
      button.type = "button";
      button.dataset.room = room;
      button.addEventListener("click", () => onPick(room));
      const item = element("li");
      item.append(button);
      this.#rooms.append(item);
      this.#buttons.set(room, button);
    }
  }

  active(room: Room): void {
    for (const [name, button] of this.#buttons) {
      button.classList.toggle("active", name === room);
      button.setAttribute("aria-current", String(name === room));
    }
  }

  /** Switching rooms needs the server; while offline the buttons wait. */
  enabled(enabled: boolean): void {
    for (const button of this.#buttons.values()) button.disabled = !enabled;
  }

  users(users: User[], me: string | null): void {
    const sorted = [...users].sort((a, b) => a.name.localeCompare(b.name));
    this.#users.replaceChildren(
      ...sorted.map((user) => {
        const item = element("li", user.id === me ? "user me" : "user", user.name);
        item.dataset.id = user.id;
        return item;
      }),
    );
    this.#count.textContent = String(users.length);
  }
}
