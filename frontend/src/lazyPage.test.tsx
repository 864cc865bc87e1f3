import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { AnnouncerProvider } from "./announce";
import { ANNOUNCE_LOADING_AFTER_MS, lazyPage, PageFrame } from "./lazyPage";

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

function Greeting({ name }: { name: string }) {
  return <h1>Hello {name}</h1>;
}

function renderPage(element: React.ReactNode) {
  return render(
    <AnnouncerProvider>
      <main>
        <PageFrame>{element}</PageFrame>
      </main>
    </AnnouncerProvider>,
  );
}

describe("a page fetched on first visit", () => {
  it("shows Loading while its script arrives, says so if it takes a while, then shows the page", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const script = deferred<typeof Greeting>();
      const Page = lazyPage(() => script.promise);
      renderPage(<Page name="Ada" />);
      expect(within(screen.getByRole("main")).getByRole("status").textContent).toContain("Loading the page…");
      expect(screen.getByTestId("announcer").textContent).toBe("");
      await act(async () => {
        await vi.advanceTimersByTimeAsync(ANNOUNCE_LOADING_AFTER_MS + 50);
      });
      expect(screen.getByTestId("announcer").textContent).toBe("Loading the page…");
      await act(async () => {
        script.resolve(Greeting);
        await script.promise;
      });
      expect(await screen.findByRole("heading", { name: "Hello Ada" })).toBeTruthy();
      expect(within(screen.getByRole("main")).queryByRole("status")).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("says nothing extra when the page arrives at once", async () => {
    const Page = lazyPage(() => Promise.resolve(Greeting));
    renderPage(<Page name="Bo" />);
    await screen.findByRole("heading", { name: "Hello Bo" });
    await new Promise((resolve) => setTimeout(resolve, ANNOUNCE_LOADING_AFTER_MS + 50));
    expect(screen.getByTestId("announcer").textContent).toBe("");
  });

  it("offers a reload when its script cannot be fetched (a new build replaced it)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const reload = vi.fn();
    vi.stubGlobal("location", { ...window.location, reload });
    try {
      const Page = lazyPage<typeof Greeting>(() => Promise.reject(new TypeError("Failed to fetch dynamically imported module: /static/ui/assets/Old-abc.js")));
      renderPage(<Page name="Cy" />);
      const alert = await screen.findByRole("alert");
      expect(alert.textContent).toContain("This page could not be loaded");
      expect(alert.textContent).toContain("MigrateIQ may have been updated");
      fireEvent.click(screen.getByRole("button", { name: "Reload the page" }));
      expect(reload).toHaveBeenCalledOnce();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("preload() fetches the script once, ahead of the first render", async () => {
    const load = vi.fn(() => Promise.resolve(Greeting));
    const Page = lazyPage(load);
    await Page.preload();
    await Page.preload();
    renderPage(<Page name="Di" />);
    expect(await screen.findByRole("heading", { name: "Hello Di" })).toBeTruthy();
    expect(load).toHaveBeenCalledOnce();
  });
});
