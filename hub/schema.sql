-- Hisab hub schema. Idempotent: `hisab-hub migrate` runs it on every start.
-- Past one machine, `events` and `invoice_versions` become PARTITION BY LIST (tenant) then
-- RANGE (received month); see hub/README.md. Keys below already lead with device_id for that.

CREATE TABLE IF NOT EXISTS hub_meta (key text PRIMARY KEY, value text NOT NULL);

CREATE TABLE IF NOT EXISTS devices (
    device_id    text PRIMARY KEY,
    acked_seq    bigint NOT NULL DEFAULT 0,      -- highest contiguous seq stored
    state        text NOT NULL DEFAULT 'unknown', -- online | offline | stopped
    status_at    timestamptz NOT NULL DEFAULT now(),
    version      text,
    last_seen    timestamptz,
    backlog      bigint,
    disk_percent real,
    cpu_temp     real,
    telemetry    jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- ranges (after_seq, upto_seq] a batch covered that are not yet contiguous with acked_seq
CREATE TABLE IF NOT EXISTS device_ranges (
    device_id text NOT NULL,
    after_seq bigint NOT NULL,
    upto_seq  bigint NOT NULL,
    PRIMARY KEY (device_id, after_seq, upto_seq)
);

CREATE TABLE IF NOT EXISTS events (
    device_id   text NOT NULL,
    seq         bigint NOT NULL,
    id          text NOT NULL,
    hlc         text NOT NULL,
    type        text NOT NULL,
    invoice_id  text,
    actor       text NOT NULL,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX IF NOT EXISTS events_id ON events (device_id, id);

CREATE TABLE IF NOT EXISTS invoices (
    device_id   text NOT NULL,
    invoice_id  text NOT NULL,
    status      text NOT NULL DEFAULT 'received',
    fields      jsonb NOT NULL DEFAULT '{}',
    field_hlc   jsonb NOT NULL DEFAULT '{}',   -- per field: HLC of the write that won
    held        jsonb NOT NULL DEFAULT '{}',   -- fields waiting on an open conflict
    suggestions jsonb NOT NULL DEFAULT '[]',
    version     integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, invoice_id)
);

-- who (actor) changed what (changes), where (origin: the box or the hub), when (hlc, at)
CREATE TABLE IF NOT EXISTS invoice_versions (
    device_id  text NOT NULL,
    invoice_id text NOT NULL,
    version    integer NOT NULL,
    event_id   text NOT NULL,
    type       text NOT NULL,
    actor      text NOT NULL,
    origin     text NOT NULL,
    hlc        text NOT NULL,
    changes    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, invoice_id, version)
);

CREATE TABLE IF NOT EXISTS conflicts (
    id          bigserial PRIMARY KEY,
    device_id   text NOT NULL,
    invoice_id  text NOT NULL,
    reason      text NOT NULL,
    box_event   text NOT NULL,
    hub_event   text NOT NULL,
    box_fields  jsonb NOT NULL,
    hub_fields  jsonb NOT NULL,
    box_actor   text NOT NULL,
    hub_actor   text NOT NULL,
    status      text NOT NULL DEFAULT 'open',    -- open | resolved
    resolution  jsonb,
    resolved_by text,
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conflicts_open ON conflicts (status, device_id);

-- events the hub sends down; applied_seq is the box seq at which the box echoed it back
CREATE TABLE IF NOT EXISTS downlink (
    device_id    text NOT NULL,
    id           text NOT NULL,
    n            bigserial,
    hlc          text NOT NULL,
    type         text NOT NULL,
    invoice_id   text,
    actor        text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    applied_seq  bigint,
    PRIMARY KEY (device_id, id)
);
CREATE INDEX IF NOT EXISTS downlink_pending ON downlink (device_id, n) WHERE applied_seq IS NULL;

CREATE TABLE IF NOT EXISTS suppliers (
    bin        text PRIMARY KEY,
    name       text NOT NULL,
    address    text NOT NULL DEFAULT '',
    vat_rate   numeric,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS alerts (
    id          bigserial PRIMARY KEY,
    device_id   text NOT NULL,
    kind        text NOT NULL,                  -- offline | disk | backlog
    message     text NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    notified    boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open ON alerts (device_id, kind) WHERE closed_at IS NULL;

CREATE TABLE IF NOT EXISTS notifications (
    id        bigserial PRIMARY KEY,
    device_id text NOT NULL,
    kind      text NOT NULL,
    message   text NOT NULL,
    channels  text NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS hub_users (
    name          text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('operator', 'admin')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS hub_tokens (
    token_sha256 text PRIMARY KEY,
    name         text NOT NULL REFERENCES hub_users(name) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- issue 10: originals, the second opinion, priority lane, reconciliation, health, uptime ----------

-- merged out of seq order by the priority or repair lane: the contiguous merge skips it
ALTER TABLE events ADD COLUMN IF NOT EXISTS early boolean NOT NULL DEFAULT false;

-- originals, content-addressed per box; `data` grows chunk by chunk, `have` bytes so far
CREATE TABLE IF NOT EXISTS blobs (
    device_id    text NOT NULL,
    sha256       text NOT NULL,
    size         bigint NOT NULL,
    content_type text,
    invoice_id   text,
    have         bigint NOT NULL DEFAULT 0,
    data         bytea NOT NULL DEFAULT '',
    complete     boolean NOT NULL DEFAULT false,
    corrupt      integer NOT NULL DEFAULT 0,     -- assemblies whose SHA-256 did not match (restarted)
    chunks       integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (device_id, sha256)
);

-- the hub's second opinion on a flagged invoice: one row per invoice and original
CREATE TABLE IF NOT EXISTS second_opinions (
    device_id   text NOT NULL,
    invoice_id  text NOT NULL,
    sha256      text NOT NULL,
    state       text NOT NULL DEFAULT 'pending',  -- pending | running | done | failed
    reasons     jsonb NOT NULL DEFAULT '[]',
    result      jsonb,
    suggested   jsonb NOT NULL DEFAULT '[]',
    error       text,
    seconds     real,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (device_id, invoice_id)
);
CREATE INDEX IF NOT EXISTS second_opinions_pending ON second_opinions (state, created_at);

CREATE TABLE IF NOT EXISTS reconciles (
    id          bigserial PRIMARY KEY,
    device_id   text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    upto        bigint NOT NULL,
    months      integer NOT NULL,
    differing   jsonb NOT NULL DEFAULT '[]',     -- months whose digests differed
    invoices    jsonb NOT NULL DEFAULT '[]',     -- invoices (or '-' for other events) repaired
    events      integer NOT NULL DEFAULT 0,      -- events re-sent and stored
    state       text NOT NULL DEFAULT 'checking' -- checking | repairing | in_sync | hub_has_extra
);
CREATE INDEX IF NOT EXISTS reconciles_device ON reconciles (device_id, id);

-- every status change (online, offline = last will, stopped), for monthly availability
CREATE TABLE IF NOT EXISTS device_states (
    device_id text NOT NULL,
    state     text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS device_states_at ON device_states (device_id, at);

ALTER TABLE devices ADD COLUMN IF NOT EXISTS health jsonb;

-- registration (POST /api/v1/devices) and the last update result each box reports --------------
ALTER TABLE devices ADD COLUMN IF NOT EXISTS public_key text;       -- "ssh-ed25519 <base64>"
ALTER TABLE devices ADD COLUMN IF NOT EXISTS key_comment text;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS registered_at timestamptz;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS registered_by text;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS credentials_at timestamptz; -- last password issued (never stored)
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_update jsonb;      -- provisioning's update-result.json

-- issue 11: events partitioned by month, partitions made ahead, retention; dashboard indexes ----------
-- The month is the event's own HLC wall time (13 ms digits), not the time it arrived: a resend of
-- the same (device, seq) carries the same stamp, so it lands in the same partition and the primary
-- key (which PostgreSQL requires to contain the partition key) still refuses it.
CREATE OR REPLACE FUNCTION hisab_hlc_time(hlc text) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN hlc ~ '^[0-9]{13}-' THEN to_timestamp(left(hlc, 13)::bigint / 1000.0)
                ELSE timestamptz '1970-01-01 00:00:00+00' END
$$;

-- the partition of one UTC month; NULL when it exists, 'skipped …' when the default partition already
-- holds rows of that month (a box with a wrong clock): those stay in the default, nothing is lost
CREATE OR REPLACE FUNCTION hisab_events_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    name text := 'events_' || to_char(month, 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', name,
                   month::timestamp AT TIME ZONE 'UTC', (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    RETURN 'created ' || name;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'events partition % not created: the default partition holds rows of that month', name;
    RETURN 'skipped ' || name;
END $$;

-- run by `hisab-hub migrate` and daily by the hub: months from last month to `ahead` months ahead exist;
-- with retention_months > 0, monthly partitions ending more than that many months ago are dropped
CREATE OR REPLACE FUNCTION hisab_maintain_partitions(ahead integer DEFAULT 3, retention_months integer DEFAULT 0)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    this date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    done text[] := '{}';
    result text;
    part record;
BEGIN
    FOR i IN -1..ahead LOOP
        result := hisab_events_partition((this + make_interval(months => i))::date);
        IF result IS NOT NULL THEN
            done := done || result;
        END IF;
    END LOOP;
    IF retention_months > 0 THEN
        FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$' ORDER BY 1 LOOP
            IF to_date(substr(part.relname, 8), 'YYYY_MM') < this - make_interval(months => retention_months) THEN
                EXECUTE format('DROP TABLE %I', part.relname);
                done := done || ('dropped ' || part.relname);
            END IF;
        END LOOP;
    END IF;
    RETURN done;
END $$;

-- one-time conversion of a plain `events` table (every hub before issue 11, and a fresh database,
-- whose CREATE TABLE above made a plain one): copy into monthly partitions under the same name
DO $$
DECLARE
    month date;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'events'::regclass) = 'r' THEN
        LOCK TABLE events IN ACCESS EXCLUSIVE MODE;
        ALTER TABLE events RENAME TO events_unpartitioned;
        ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey;
        ALTER INDEX events_id RENAME TO events_unpartitioned_id;
        CREATE TABLE events (LIKE events_unpartitioned INCLUDING DEFAULTS, occurred_at timestamptz NOT NULL,
                             PRIMARY KEY (device_id, seq, occurred_at)) PARTITION BY RANGE (occurred_at);
        CREATE TABLE events_default PARTITION OF events DEFAULT;
        CREATE INDEX events_id ON events (device_id, id);
        FOR month IN SELECT DISTINCT date_trunc('month', hisab_hlc_time(hlc) AT TIME ZONE 'UTC')::date
                     FROM events_unpartitioned
                     WHERE hisab_hlc_time(hlc) BETWEEN '2020-01-01' AND now() + interval '1 year' LOOP
            PERFORM hisab_events_partition(month);
        END LOOP;
        PERFORM hisab_maintain_partitions(3, 0);
        INSERT INTO events SELECT u.*, hisab_hlc_time(u.hlc) FROM events_unpartitioned u;
        DROP TABLE events_unpartitioned;
    END IF;
END $$;

-- the fleet page counts each box's invoices: a counter kept by statement triggers, not a count(*)
-- over millions of rows on every page view
ALTER TABLE devices ADD COLUMN IF NOT EXISTS invoice_count bigint;
CREATE OR REPLACE FUNCTION hisab_count_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE devices d SET invoice_count = d.invoice_count + n.n
        FROM (SELECT device_id, count(*) AS n FROM changed GROUP BY device_id) n WHERE d.device_id = n.device_id;
    ELSE
        UPDATE devices d SET invoice_count = d.invoice_count - n.n
        FROM (SELECT device_id, count(*) AS n FROM changed GROUP BY device_id) n WHERE d.device_id = n.device_id;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER invoices_counted AFTER INSERT ON invoices REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION hisab_count_invoices();
CREATE OR REPLACE TRIGGER invoices_uncounted AFTER DELETE ON invoices REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION hisab_count_invoices();
UPDATE devices d SET invoice_count = (SELECT count(*) FROM invoices i WHERE i.device_id = d.device_id)
WHERE invoice_count IS NULL;
ALTER TABLE devices ALTER COLUMN invoice_count SET DEFAULT 0;

-- a shop's page lists its latest invoices
CREATE INDEX IF NOT EXISTS invoices_recent ON invoices (device_id, updated_at DESC);
