-- Keys once the rows are in (one index build instead of row-by-row maintenance), then frozen
-- and analysed: later reads set no hint bits, and planners and ferry see real estimates.
ALTER TABLE lineitem ADD PRIMARY KEY (l_id);
ALTER TABLE wide_events ADD PRIMARY KEY (id);
ALTER TABLE order_lines_cpk ADD PRIMARY KEY (tenant_id, order_id, line_no);
VACUUM (FREEZE, ANALYZE) lineitem, wide_events, order_lines_cpk, audit_log_nopk;
