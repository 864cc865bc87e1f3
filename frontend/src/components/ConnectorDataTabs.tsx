import { useRef, type KeyboardEvent } from "react";
import { useSearchParams } from "react-router-dom";

import { isActiveStatus, type JsonValue } from "../api/types";
import { ChangeFeed } from "./ChangeFeed";
import { RecordsTable } from "./RecordsTable";
import { SchemaTable } from "./SchemaTable";

const TABS = [
  { id: "records", label: "Records" },
  { id: "schema", label: "Schema" },
  { id: "changes", label: "Changes" },
] as const;
type Tab = (typeof TABS)[number]["id"];

/** The connector's data: the records table, the inferred schema (`?tab=schema` in the address) or
 * the change feed (`?tab=changes`). `lastSync`: the run under way while one is, else the latest
 * finished one (what an empty table or schema says). */
export function ConnectorDataTabs({
  connectorId,
  refreshKey = 0,
  rules,
  primaryKey,
  lastSync,
}: {
  connectorId: number;
  refreshKey?: number;
  rules?: JsonValue;
  primaryKey?: string;
  lastSync?: { id: number; status: string } | null;
}) {
  const [params, setParams] = useSearchParams();
  const tab: Tab = TABS.find((t) => t.id === params.get("tab"))?.id ?? "records";
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});

  function choose(next: Tab) {
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        if (next === "records") updated.delete("tab");
        else updated.set("tab", next);
        return updated;
      },
      { replace: true },
    );
  }

  // Arrow keys move between tabs (the ARIA tabs pattern).
  function onKey(event: KeyboardEvent) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const index = TABS.findIndex((t) => t.id === tab);
    const next = TABS[(index + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length]!;
    choose(next.id);
    refs.current[next.id]?.focus();
  }

  return (
    <div className="data-tabs">
      <div role="tablist" aria-label="Connector data" className="tabs" onKeyDown={onKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className={`tab${tab === t.id ? " tab-active" : ""}`}
            onClick={() => choose(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "records" ? <RecordsTable connectorId={connectorId} refreshKey={refreshKey} rules={rules} primaryKey={primaryKey} lastSync={lastSync} /> : null}
        {tab === "schema" ? <SchemaTable connectorId={connectorId} refreshKey={refreshKey} syncing={isActiveStatus(lastSync?.status)} /> : null}
        {tab === "changes" ? <ChangeFeed connectorId={connectorId} refreshKey={refreshKey} /> : null}
      </div>
    </div>
  );
}
