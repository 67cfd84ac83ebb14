"""Read models of sums kept by statement-level triggers: the SQL every service's summary shares.

A `Summary` names a source table, the summary table, the key columns (each an expression over a
source row), the summed columns (each a per-row expression) and which rows count. From it come
the trigger function and triggers, the recompute from the rows, the rebuild and the query that
compares kept with recomputed (what `check-summaries` commands report).

Why a trigger: every writer of the source (consumers, HTTP commands, a bulk load through SQL)
moves the summary in its own transaction, so it is exact and never stale, and no code path can
forget it. Statement-level with transition tables: one aggregated upsert per statement, whether
it wrote one row or a million.

Contention: each transaction writes the rows of one shard (its backend pid mod SHARDS) and
first takes that shard's transaction advisory lock (one lock per transaction, whatever keys it
touches), so concurrent writers rarely wait for each other and never deadlock on summary rows;
a read sums the shards.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, text

SHARDS = 32


@dataclass(frozen=True)
class Summary:
    source: str
    table: str
    #: key column -> expression over a source row (the tenant first)
    keys: dict[str, str]
    #: summed column -> per-row expression (never NULL)
    sums: dict[str, str]
    #: which source rows count (SQL over a row), or every row
    counted: str = "true"
    #: writer shards: SHARDS where writers are many (every booking), 1 where the rollup's rows
    #: change rarely (a person's click) and the reads would otherwise sum 32 rows per key
    shards: int = SHARDS

    @property
    def _key_list(self) -> str:
        return ", ".join(self.keys)

    def _changed(self, rows: str, sign: int) -> str:
        columns = [f"{e} AS {k}" for k, e in self.keys.items()]
        columns += [f"{e} AS {s}" for s, e in self.sums.items()]
        return f"SELECT {', '.join(columns)}, {sign} AS sign FROM {rows} WHERE {self.counted}"  # noqa: S608 - names and expressions from our own Summary constants

    def _apply(self, *changed: str) -> str:
        sums = ", ".join(f"sum(sign * {s}) AS {s}" for s in self.sums)
        nonzero = " OR ".join(f"sum(sign * {s}) <> 0" for s in self.sums)
        added = ", ".join(f"{s} = t.{s} + excluded.{s}" for s in self.sums)
        return f"""
            WITH changed AS ({" UNION ALL ".join(changed)}),
            delta AS (
                SELECT {self._key_list}, {sums}
                FROM changed GROUP BY {self._key_list} HAVING {nonzero}
            ),
            locked AS (
                SELECT count(pg_advisory_xact_lock(hashtext('{self.table}'), writer_shard))
                FROM (SELECT 1 FROM delta LIMIT 1) AS any_change
            )
            INSERT INTO {self.table} AS t ({self._key_list}, shard, {", ".join(self.sums)})
            SELECT {self._key_list}, writer_shard, {", ".join(self.sums)}
            FROM delta CROSS JOIN locked
            ORDER BY {self._key_list}
            ON CONFLICT ({self._key_list}, shard) DO UPDATE SET {added};
        """  # noqa: S608 - names and expressions from our own Summary constants

    def _when_counted(self, rows: Sequence[str], sql: str) -> str:
        """`sql` only if a row of the transition tables counts: a statement that wrote no
        counted row (most, where few rows count) skips the upsert's planning and execution."""
        if self.counted == "true":
            return sql
        found = " OR ".join(f"EXISTS (SELECT 1 FROM {r} WHERE {self.counted})" for r in rows)  # noqa: S608 - names and expressions from our own Summary constants
        return f"IF {found} THEN {sql} END IF;"

    @property
    def create_function(self) -> str:
        changed = {
            "INSERT": ("new_rows",),
            "UPDATE": ("new_rows", "old_rows"),
            "DELETE": ("old_rows",),
        }
        sign = {"new_rows": 1, "old_rows": -1}
        branches = {
            op: self._when_counted(rows, self._apply(*(self._changed(r, sign[r]) for r in rows)))
            for op, rows in changed.items()
        }
        body = "\n".join(f"IF TG_OP = '{op}' THEN {sql} END IF;" for op, sql in branches.items())
        return f"""
            CREATE OR REPLACE FUNCTION {self.table}_apply() RETURNS trigger
            LANGUAGE plpgsql AS $$
            DECLARE
                writer_shard smallint := pg_backend_pid() % {self.shards};
            BEGIN
                {body}
                RETURN NULL;
            END
            $$;
        """

    @property
    def create_triggers(self) -> list[str]:
        """Transition tables allow one event per trigger."""
        referencing = {
            "INSERT": "NEW TABLE AS new_rows",
            "UPDATE": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
            "DELETE": "OLD TABLE AS old_rows",
        }
        return [
            f"CREATE TRIGGER {self.table}_{op.lower()} AFTER {op} ON {self.source}"
            f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {self.table}_apply()"
            for op, tables in referencing.items()
        ]

    @property
    def install(self) -> list[str]:
        """What a migration runs once the (empty) table exists: the function and triggers, and
        the table filled from the rows under a lock, so no source row changes between the two."""
        lock = f"LOCK TABLE {self.source} IN SHARE ROW EXCLUSIVE MODE"
        return [lock, self.create_function, *self.create_triggers, self.rebuild]

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(f"{self.table}_{op}" for op in ("insert", "update", "delete"))

    @property
    def drop(self) -> list[str]:
        return [
            *(f"DROP TRIGGER IF EXISTS {name} ON {self.source}" for name in self.triggers),
            f"DROP FUNCTION IF EXISTS {self.table}_apply()",
        ]

    def recompute(self, *, tenant: bool) -> str:
        """The summary recomputed from the rows, one row per key (`:tenant` only, or all)."""
        tenant_key = next(iter(self.keys))
        where = f"{self.counted} AND {tenant_key} = :tenant" if tenant else self.counted
        keys = ", ".join(f"{e} AS {k}" for k, e in self.keys.items())
        sums = ", ".join(f"sum({e}) AS {s}" for s, e in self.sums.items())
        return f"SELECT {keys}, {sums} FROM {self.source} WHERE {where} GROUP BY {self._key_list}"  # noqa: S608 - names and expressions from our own Summary constants

    @property
    def rebuild(self) -> str:
        """Fills the (empty) summary from the rows, all in shard 0."""
        sums = ", ".join(self.sums)
        recomputed = self.recompute(tenant=False)
        into = f"{self.table} ({self._key_list}, shard, {sums})"
        picked = f"{self._key_list}, 0, {sums}"
        return f"INSERT INTO {into} SELECT {picked} FROM ({recomputed}) AS r"  # noqa: S608 - names and expressions from our own Summary constants

    def differences_query(self, tenant_id: str | None) -> TextClause:
        """`differences` for one tenant, or for every tenant when None, ready to execute."""
        if tenant_id is None:
            return text(self.differences(tenant=False))
        return text(self.differences(tenant=True)).bindparams(tenant=tenant_id)

    def differences(self, *, tenant: bool) -> str:
        """Every key whose kept sums (over the shards) differ from a recompute: the keys, then
        kept and recomputed of each summed column in turn."""
        tenant_key = next(iter(self.keys))
        where = f"WHERE {tenant_key} = :tenant" if tenant else ""
        kept_sums = ", ".join(f"sum({s}) AS {s}" for s in self.sums)
        pairs = ", ".join(f"COALESCE(k.{s}, 0), COALESCE(r.{s}, 0)" for s in self.sums)
        kept = ", ".join(f"COALESCE(k.{s}, 0)" for s in self.sums)
        recomputed = ", ".join(f"COALESCE(r.{s}, 0)" for s in self.sums)
        return f"""
            WITH kept AS (
                SELECT {self._key_list}, {kept_sums} FROM {self.table} {where}
                GROUP BY {self._key_list}
            ),
            recomputed AS ({self.recompute(tenant=tenant)})
            SELECT {self._key_list}, {pairs}
            FROM kept AS k FULL JOIN recomputed AS r USING ({self._key_list})
            WHERE ({kept}) IS DISTINCT FROM ({recomputed})
            ORDER BY {self._key_list}
        """  # noqa: S608 - names and expressions from our own Summary constants
