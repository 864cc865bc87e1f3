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
