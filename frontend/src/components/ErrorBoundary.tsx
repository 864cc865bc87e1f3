import { Component, type ErrorInfo, type ReactNode } from "react";

interface State {
  error: Error | null;
}

/** A rendering bug shows a message and a way out instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("MigrateIQ UI error", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    if (this.state.error.name === "PageLoadError") {
      // lazyPage.tsx: the page's script did not arrive (offline, or a new MigrateIQ since this tab
      // loaded). Only a reload fetches it again.
      return (
        <div className="page">
          <div className="banner banner-error" role="alert">
            This page could not be loaded. MigrateIQ may have been updated since you opened it, or the
            connection dropped.
          </div>
          <p>
            <button type="button" className="btn" onClick={() => window.location.reload()}>
              Reload the page
            </button>
          </p>
        </div>
      );
    }
    return (
      <div className="page">
        <div className="banner banner-error" role="alert">
          This page failed to display: {this.state.error.message}
        </div>
        <p>
          <a href="/">Back to the dashboard</a> or reload the page.
        </p>
      </div>
    );
  }
}
