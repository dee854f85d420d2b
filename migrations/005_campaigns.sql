-- Campaigns (issue 12): the `campaign` mail template sent to a target group's members
-- through the mail queue. A draft is written and previewed, then sent: the `marketing`
-- job works through the members in batches, each batch one transaction that records a
-- recipient row per member with the mail queued for them, so a campaign killed midway
-- resumes with the members who have no row yet, and the primary key makes a second mail
-- to one member from one campaign impossible.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER REFERENCES target_groups (id) ON DELETE SET NULL,
    group_name    TEXT NOT NULL,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 150),
    message       TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 20000),
    link          TEXT NOT NULL DEFAULT '' CHECK (length(link) <= 500),
    state         TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'sending', 'done')),
    -- The shop's address for the links in the mails, fixed when sending starts.
    shop_url      TEXT NOT NULL DEFAULT '',
    -- The group's members when sending started.
    members       INTEGER NOT NULL DEFAULT 0 CHECK (members >= 0),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_by       TEXT,
    started_at    TEXT,
    finished_at   TEXT
);
CREATE INDEX campaigns_sending ON campaigns (state) WHERE state = 'sending';
CREATE INDEX campaigns_group ON campaigns (group_id);

-- One row per member a campaign went to: the mail queued for them, or why they were
-- passed over (opted out of marketing mail, or an inactive or deleted account).
CREATE TABLE campaign_recipients (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    mail_id      INTEGER,
    skipped      TEXT NOT NULL DEFAULT '' CHECK (skipped IN ('', 'opted_out', 'inactive')),
    CHECK ((mail_id IS NULL) = (skipped <> '')),
    PRIMARY KEY (campaign_id, customer_id)
) WITHOUT ROWID;

-- When a customer said no to marketing mail (account page or the link in a campaign
-- mail); NULL: they get it.
ALTER TABLE customers ADD COLUMN marketing_opt_out_at TEXT;

-- Mail sent at most once (campaigns): the sender claims such a row, committed, before
-- handing it to the transport. A claim left by a process that stopped means the mail may
-- have gone out, so it is marked failed, not sent again (staff can retry it by hand).
ALTER TABLE mail_outbox ADD COLUMN at_most_once INTEGER NOT NULL DEFAULT 0 CHECK (at_most_once IN (0, 1));
ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT;
-- The one-click unsubscribe address for the List-Unsubscribe header ('' for none).
ALTER TABLE mail_outbox ADD COLUMN unsubscribe_url TEXT NOT NULL DEFAULT '';
