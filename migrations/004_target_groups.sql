-- Target groups (issue 12): customers found by a filter, saved with the members it found
-- at that moment; refreshing runs the filter again. The filter is kept as the JSON the
-- group form reads back (dates as shop days, money in minor units).
CREATE TABLE target_groups (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
    filter        TEXT NOT NULL CHECK (json_valid(filter)),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    refreshed_by  TEXT,
    refreshed_at  TEXT
);
CREATE TABLE target_group_members (
    group_id     INTEGER NOT NULL REFERENCES target_groups (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX target_group_members_customer ON target_group_members (customer_id);

-- Vouchers issued in bulk to a group's members: one run, its terms, and how far it got.
-- The job issues in batches, each voucher with its mail in one transaction, so a run
-- killed midway resumes where it stopped.
CREATE TABLE voucher_runs (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER REFERENCES target_groups (id) ON DELETE SET NULL,
    group_name    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    value         INTEGER NOT NULL CHECK (value > 0 AND (kind <> 'percent' OR value <= 100)),
    min_subtotal  INTEGER NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    -- The group's members when the run started.
    members       INTEGER NOT NULL CHECK (members >= 0),
    -- Members passed over (deactivated or deleted accounts), counted as the run goes.
    skipped       INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    finished_at   TEXT,
    CHECK (valid_to > valid_from)
);
CREATE INDEX voucher_runs_running ON voucher_runs (state) WHERE state = 'running';

-- The run a voucher was issued by; never two for one member from one run.
ALTER TABLE vouchers ADD COLUMN issue_run_id INTEGER REFERENCES voucher_runs (id);
-- The mail that told its customer (no foreign key: the outbox knows no feature).
ALTER TABLE vouchers ADD COLUMN mail_id INTEGER;
CREATE UNIQUE INDEX vouchers_one_per_run ON vouchers (issue_run_id, customer_id) WHERE issue_run_id IS NOT NULL;
