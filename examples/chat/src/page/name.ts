import { byId } from "./dom.js";

const STORAGE_KEY = "volley-chat-name";

/** The user's display name: `?name=` wins, then the last one used here, else a small form asks for it. */
export function chooseName(params: URLSearchParams): Promise<string> {
  const fromUrl = params.get("name")?.trim();
  if (fromUrl) return Promise.resolve(fromUrl);
  const stored = readStored();
  if (stored) return Promise.resolve(stored);

  const dialog = byId<HTMLFormElement>("name-form");
  const input = byId<HTMLInputElement>("name-input");
  input.value = `guest-${Math.floor(Math.random() * 10_000)}`;
  dialog.hidden = false;
  input.select();
  return new Promise((resolve) => {
    dialog.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (name.length === 0) return;
      dialog.hidden = true;
      try {
        localStorage.setItem(STORAGE_KEY, name);
      } catch {
        // Storage may be disabled (private mode): the name then lasts for this page only.
      }
      resolve(name);
    });
  });
}

/** Forgets the stored name so the next load asks again. */
export function forgetName(): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
