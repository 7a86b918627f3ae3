-- The monthly chargeback of marts.fct_chargeback_monthly, by hand, from the raw GCP export and the
-- seeds only (pipeline_benchmark.py times it against `dbt run` and checks it returns the mart's rows;
-- no staging/intermediate/marts relation). Same grain and money columns; the whole
-- attribution engine: team = resource label > resource-manager tag (direct, then inherited) >
-- GKE k8s-label/<team key> then k8s-namespace > project label > nearest mapped ancestor >
-- first virtual-tag rule valid on the usage day > 'unallocated'; phase = resource label >
-- project label > virtual-tag rule > phase rule > 'unclassified'; then shared-cost pools
-- (even / fixed / proportional by day or month, even fallback) split pooled cost among teams.
--
-- How it stays fast:
-- * One pass over the raw table (items): group by the output grain, the usage day and ONE 64-bit
--   hash of every field attribution reads (service, SKU, resource, project id and ancestry,
--   resource labels + their null-ness, project labels, tags); sum exact money (decimal(38,9),
--   credits via list_transform) and keep min(rowid). 1M rows -> 46k groups, 482 signatures.
--   Grouping on the label arrays themselves or any_value() of them costs 2-3x more.
-- * The nested fields of ONE representative row per signature are fetched by rowid (the join's
--   dynamic rowid filter reads only those rows), and every lookup - label/tag keys through
--   list_position over the alias keys, alias tables, ancestors, virtual-tag and phase rules -
--   runs per signature, never per line item. Virtual-tag rules become an ordered list per
--   signature; the usage-day validity check is a list_filter per (signature, day) group.
-- * Pools are matched per (team, project, service, SKU) and pooled money is summed to
--   (pool, period, output grain) before the exact split (round(amount * cumulative share, 9)
--   differences, largest weight first), so the split touches a few hundred rows.
-- Money equals the mart to the cent: splitting sums instead of single line items moves each
-- split by at most 1e-9 per line item. A 64-bit hash collision between two distinct signatures
-- (probability ~ n^2 / 2^65 for n signatures) would merge them.
with
keys as (
    select
        list(replace(replace(lower(trim(alias)), '-', '_'), ' ', '_') order by priority, alias)
            filter (where canonical_key = 'team') as team_keys,
        list(replace(replace(lower(trim(alias)), '-', '_'), ' ', '_') order by priority, alias)
            filter (where canonical_key = 'workload_phase') as phase_keys,
        list_concat(
            list(concat('k8s_label/', replace(replace(lower(trim(alias)), '-', '_'), ' ', '_')) order by priority, alias)
                filter (where canonical_key = 'team'),
            ['k8s_namespace']) as k8s_keys
    from seeds.tag_key_aliases
),
team_aliases as (
    select replace(lower(trim(alias)), '_', '-') as alias, team from seeds.team_aliases
),
phase_aliases as (
    select replace(replace(lower(trim(alias)), '-', '_'), ' ', '_') as alias, workload_phase from seeds.workload_phase_aliases
),
-- The one pass over the raw rows: grain columns, usage day, and one hash of every input attribution
-- reads (service, SKU, resource, project, ancestry, labels, project labels, tags); exact money sums.
items as (
    select
        billing_account_id, invoice.month as invoice_yyyymm, currency,
        cast(usage_start_time as date) as charge_date,
        hash(service.description, sku.description, resource.name, project.id, project.ancestry_numbers,
             labels, labels is null, project.labels, tags) as sig,
        min(rowid) as rid,
        sum(cast(cost as decimal(38,9))) as cost,
        sum(list_sum(list_transform(credits, lambda c: cast(c.amount as decimal(38,9))))) as credits,
        sum(list_sum(list_transform(credits, lambda c: cast(c.amount as decimal(38,9))))) filter (where cost is null) as credits_of_null_cost,
        sum(cast(cost_at_list as decimal(38,9))) as list_cost,
        count(*) as line_item_count
    from raw.gcp_billing_export_resource_v1
    group by all
),
-- One representative export row per signature, fetched by rowid: the nested fields are read
-- only for these few rows.
sig_rows as (
    select
        s.sig,
        r.service.description as service_name, r.sku.description as sku_description, r.resource.name as resource_name,
        r.project.id as sub_account_id, r.project.ancestry_numbers as ancestry_numbers, r.project.ancestors as ancestors,
        r.labels as resource_labels, r.project.labels as project_labels, r.tags as tags
    from raw.gcp_billing_export_resource_v1 as r
    join (select sig, min(rid) as rid from items group by sig) as s on r.rowid = s.rid
),
sig_values as (
    select
        s.*,
        list_sort(list_filter(list_transform(s.resource_labels, lambda l: {'priority': list_position(k.team_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')), 'value': l.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as resource_team_value,
        list_sort(list_filter(list_transform(s.resource_labels, lambda l: {'priority': list_position(k.k8s_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')), 'value': l.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as k8s_team_value,
        list_sort(list_filter(list_transform(s.resource_labels, lambda l: {'priority': list_position(k.phase_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')), 'value': l.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as resource_phase_value,
        list_sort(list_filter(list_transform(s.project_labels, lambda l: {'priority': list_position(k.team_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')), 'value': l.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as project_team_value,
        list_sort(list_filter(list_transform(s.project_labels, lambda l: {'priority': list_position(k.phase_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')), 'value': l.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as project_phase_value,
        list_sort(list_filter(list_transform(list_filter(s.tags, lambda t: coalesce(t.inherited, false) = false),
            lambda t: {'priority': list_position(k.team_keys, replace(replace(lower(trim(t.key)), '-', '_'), ' ', '_')), 'value': t.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as resource_tag_value,
        list_sort(list_filter(list_transform(list_filter(s.tags, lambda t: coalesce(t.inherited, false) = true),
            lambda t: {'priority': list_position(k.team_keys, replace(replace(lower(trim(t.key)), '-', '_'), ' ', '_')), 'value': t.value}),
            lambda c: c.priority is not null and trim(c.value) <> ''))[1].value as inherited_tag_value
    from sig_rows as s cross join keys as k
),
-- nearest mapped ancestor per (project, ancestry path)
ancestor_resolved as (
    select a.sub_account_key, a.ancestry_key,
           first(anc.team order by list_position(list_transform(a.ancestors, lambda n: n.resource_name), anc.ancestor)) as ancestor_team
    from (
        select coalesce(sub_account_id, '') as sub_account_key, coalesce(ancestry_numbers, '') as ancestry_key,
               any_value(ancestors) as ancestors
        from sig_rows group by 1, 2
    ) as a
    join seeds.ancestor_teams as anc
      on list_position(list_transform(a.ancestors, lambda n: n.resource_name), anc.ancestor) is not null
    group by 1, 2
),
-- virtual-tag rules matching each signature, in priority order (their dates are checked per day below)
vt_rules as (
    select rule_id, priority, lower(provider_name) as provider_name, billing_account_id,
           lower(sub_account_pattern) as sub_account_pattern, lower(service_pattern) as service_pattern,
           lower(sku_pattern) as sku_pattern, lower(resource_pattern) as resource_pattern,
           replace(replace(lower(trim(label_key)), '-', '_'), ' ', '_') as label_key,
           lower(label_value_pattern) as label_value_pattern,
           team, workload_phase, valid_from, valid_to
    from seeds.virtual_tag_rules
),
vt_matches as (
    select s.ba, s.sig,
           list({'team': r.team, 'phase': r.workload_phase, 'valid_from': r.valid_from, 'valid_to': r.valid_to}
                order by r.priority, r.rule_id) as rules
    from (
        select i.ba, v.sig, lower(coalesce(v.sub_account_id, '')) as sub, lower(coalesce(v.service_name, '')) as svc,
               lower(coalesce(v.sku_description, '')) as sku, lower(coalesce(v.resource_name, '')) as res,
               list_transform(v.resource_labels, lambda l: {'key': replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_'),
                                                            'value': lower(trim(l.value))}) as labels
        from (select distinct coalesce(billing_account_id, '') as ba, sig from items) as i
        join sig_rows as v on i.sig = v.sig
    ) as s
    join vt_rules as r
      on (r.provider_name is null or 'google cloud' = r.provider_name)
     and (r.billing_account_id is null or s.ba = r.billing_account_id)
     and (r.sub_account_pattern is null or s.sub like r.sub_account_pattern)
     and (r.service_pattern is null or s.svc like r.service_pattern)
     and (r.sku_pattern is null or s.sku like r.sku_pattern)
     and (r.resource_pattern is null or s.res like r.resource_pattern)
     and ((r.label_key is null and r.label_value_pattern is null)
          or len(list_filter(s.labels, lambda l: (r.label_key is null or l.key = r.label_key)
                 and (r.label_value_pattern is null or l.value like r.label_value_pattern))) > 0)
    group by all
),
phase_rule_resolved as (
    select s.sig, first(r.workload_phase order by r.priority, r.rule_id) as rule_phase
    from sig_rows as s
    join seeds.workload_phase_rules as r
      on (r.service_pattern is null or lower(coalesce(s.service_name, '')) like lower(r.service_pattern))
     and (r.sku_pattern is null or lower(coalesce(s.sku_description, '')) like lower(r.sku_pattern))
     and (r.resource_pattern is null or lower(coalesce(s.resource_name, '')) like lower(r.resource_pattern))
    group by all
),
-- per signature: the team and phase the label/tag/ancestor links decide (date-independent)
sig_resolved as (
    select
        v.sig,
        coalesce(v.sub_account_id, '') as sub_key, coalesce(v.service_name, '') as svc_key, coalesce(v.sku_description, '') as sku_key,
        coalesce(rlt.team, rtt.team, itt.team, k8t.team, plt.team, an.ancestor_team) as static_team,
        coalesce(rlp.workload_phase, plp.workload_phase) as label_phase,
        pr.rule_phase
    from sig_values as v
    left join team_aliases as rlt on replace(lower(trim(v.resource_team_value)), '_', '-') = rlt.alias
    left join team_aliases as rtt on replace(lower(trim(v.resource_tag_value)), '_', '-') = rtt.alias
    left join team_aliases as itt on replace(lower(trim(v.inherited_tag_value)), '_', '-') = itt.alias
    left join team_aliases as k8t on replace(lower(trim(v.k8s_team_value)), '_', '-') = k8t.alias
    left join team_aliases as plt on replace(lower(trim(v.project_team_value)), '_', '-') = plt.alias
    left join phase_aliases as rlp on replace(replace(lower(trim(v.resource_phase_value)), '-', '_'), ' ', '_') = rlp.alias
    left join phase_aliases as plp on replace(replace(lower(trim(v.project_phase_value)), '-', '_'), ' ', '_') = plp.alias
    left join ancestor_resolved as an
      on an.sub_account_key = coalesce(v.sub_account_id, '') and an.ancestry_key = coalesce(v.ancestry_numbers, '')
    left join phase_rule_resolved as pr on pr.sig = v.sig
),
attributed as (
    select
        i.billing_account_id, i.currency, i.invoice_month, i.billing_period_start, i.charge_date,
        s.sub_key, s.svc_key, s.sku_key,
        coalesce(s.static_team,
                 list_filter(vt.rules, lambda r: r.team is not null and i.rule_date is not null
                     and (r.valid_from is null or r.valid_from <= i.rule_date)
                     and (r.valid_to is null or r.valid_to > i.rule_date))[1].team,
                 'unallocated') as team,
        coalesce(s.label_phase,
                 list_filter(vt.rules, lambda r: r.phase is not null and i.rule_date is not null
                     and (r.valid_from is null or r.valid_from <= i.rule_date)
                     and (r.valid_to is null or r.valid_to > i.rule_date))[1].phase,
                 s.rule_phase, 'unclassified') as workload_phase,
        i.effective_cost, i.list_cost, i.credits_total, i.line_item_count
    from (
        select *,
               -- the day virtual-tag dates apply to; the model's intervals span 0001-01-01 to 9999-12-31
               case when coalesce(charge_date, billing_period_start) >= date '0001-01-01'
                     and coalesce(charge_date, billing_period_start) < date '9999-12-31'
                    then coalesce(charge_date, billing_period_start) end as rule_date
        from (
            select *,
                   concat(substr(invoice_yyyymm, 1, 4), '-', substr(invoice_yyyymm, 5, 2)) as invoice_month,
                   cast(concat(substr(invoice_yyyymm, 1, 4), '-', substr(invoice_yyyymm, 5, 2), '-01') as date) as billing_period_start,
                   cost + coalesce(credits, 0) - coalesce(credits_of_null_cost, 0) as effective_cost,
                   coalesce(credits, 0) as credits_total
            from items
        )
    ) as i
    join sig_resolved as s on i.sig = s.sig
    left join vt_matches as vt on vt.sig = i.sig and vt.ba = coalesce(i.billing_account_id, '')
),
-- shared-cost pools
pools as (
    select pool_id, priority, nullif(trim(team), '') as team,
           lower(trim(coalesce(sub_account_pattern, ''))) as sub_account_pattern,
           lower(trim(coalesce(service_pattern, ''))) as service_pattern,
           lower(trim(coalesce(sku_pattern, ''))) as sku_pattern,
           method, basis_period
    from seeds.shared_cost_pools
),
signature_pools as (
    select s.team, s.sub_key, s.svc_key, s.sku_key,
           first({'pool_id': p.pool_id, 'method': p.method, 'basis_period': p.basis_period} order by p.priority, p.pool_id) as pool
    from (select distinct team, sub_key, svc_key, sku_key from attributed) as s
    join pools as p
      on (p.team is null or s.team = p.team)
     and (p.sub_account_pattern = '' or lower(s.sub_key) like p.sub_account_pattern)
     and (p.service_pattern = '' or lower(s.svc_key) like p.service_pattern)
     and (p.sku_pattern = '' or lower(s.sku_key) like p.sku_pattern)
    group by all
),
pooled as (
    select a.*, sp.pool.pool_id as pool_id, sp.pool.method as method, sp.pool.basis_period as basis_period,
           case when sp.pool.basis_period = 'day' then a.charge_date else a.billing_period_start end as period_start
    from attributed as a
    left join signature_pools as sp
      on a.team = sp.team and a.sub_key = sp.sub_key and a.svc_key = sp.svc_key and a.sku_key = sp.sku_key
),
direct_by_day as (
    select p.billing_account_id, p.currency, p.billing_period_start, p.charge_date, p.team, sum(p.effective_cost) as direct_cost
    from pooled as p join seeds.teams as t on p.team = t.team
    where p.pool_id is null
    group by all
),
direct_costs as (
    select 'day' as basis_period, billing_account_id, currency, charge_date as period_start, team, sum(direct_cost) as direct_cost
    from direct_by_day group by all
    union all
    select 'month', billing_account_id, currency, billing_period_start, team, sum(direct_cost)
    from direct_by_day group by all
),
pool_periods as (
    select distinct pool_id, method, basis_period, billing_account_id, currency, period_start
    from pooled where pool_id is not null
),
pool_weights as (
    select pool_id, team, cast(nullif(trim(weight), '') as decimal(38,9)) as weight from seeds.shared_cost_pool_weights
),
pool_recipients as (
    select w.pool_id, w.team, w.weight from pool_weights as w join seeds.teams as t on w.team = t.team
    union all
    select p.pool_id, t.team, cast(null as decimal(38,9))
    from pools as p cross join seeds.teams as t
    where not exists (select 1 from pool_weights as w where w.pool_id = p.pool_id)
),
proportional_weights as (
    select pp.pool_id, pp.billing_account_id, pp.currency, pp.period_start, r.team, d.direct_cost as weight
    from pool_periods as pp
    join pool_recipients as r on pp.pool_id = r.pool_id
    join direct_costs as d
      on pp.basis_period = d.basis_period and pp.billing_account_id = d.billing_account_id
     and pp.currency = d.currency and pp.period_start = d.period_start and r.team = d.team
    where pp.method = 'proportional' and d.direct_cost > 0
),
recipient_weights as (
    select * from proportional_weights
    union all
    select pp.pool_id, pp.billing_account_id, pp.currency, pp.period_start, r.team, cast(1 as decimal(38,9))
    from pool_periods as pp
    join pool_recipients as r on pp.pool_id = r.pool_id
    where pp.method = 'even'
       or (pp.method = 'proportional' and not exists (
            select 1 from proportional_weights as pw
            where pw.pool_id = pp.pool_id and pw.billing_account_id = pp.billing_account_id
              and pw.currency = pp.currency and pw.period_start = pp.period_start))
    union all
    select pp.pool_id, pp.billing_account_id, pp.currency, pp.period_start, r.team, r.weight
    from pool_periods as pp
    join pool_recipients as r on pp.pool_id = r.pool_id
    where pp.method = 'fixed' and r.weight > 0
),
shares as (
    select pool_id, billing_account_id, currency, period_start, team,
           cast((weight_through - weight) / total_weight as decimal(38,15)) as share_before,
           cast(weight_through / total_weight as decimal(38,15)) as share_through
    from (
        select *,
               sum(weight) over (partition by pool_id, billing_account_id, currency, period_start
                                 order by weight desc, team rows between unbounded preceding and current row) as weight_through,
               sum(weight) over (partition by pool_id, billing_account_id, currency, period_start) as total_weight
        from recipient_weights
    )
),
allocated as (
    select
        p.invoice_month, p.billing_period_start, p.billing_account_id, p.currency, p.workload_phase,
        coalesce(s.team, p.team) as team,
        s.team is not null as is_shared,
        case when s.team is null then p.effective_cost
             else cast(round(p.effective_cost * s.share_through, 9) as decimal(38,9)) - cast(round(p.effective_cost * s.share_before, 9) as decimal(38,9)) end as effective_cost,
        case when s.team is null then p.list_cost
             else cast(round(p.list_cost * s.share_through, 9) as decimal(38,9)) - cast(round(p.list_cost * s.share_before, 9) as decimal(38,9)) end as list_cost,
        case when s.team is null then p.credits_total
             else cast(round(p.credits_total * s.share_through, 9) as decimal(38,9)) - cast(round(p.credits_total * s.share_before, 9) as decimal(38,9)) end as credits_total,
        p.line_item_count
    from (
        -- pooled money is split per (pool, period, output grain), not per line item
        select invoice_month, billing_period_start, billing_account_id, currency, workload_phase, team,
               pool_id, period_start,
               sum(effective_cost) as effective_cost, sum(list_cost) as list_cost,
               sum(credits_total) as credits_total, sum(line_item_count) as line_item_count
        from pooled
        group by all
    ) as p
    left join shares as s
      on p.pool_id = s.pool_id and p.billing_account_id = s.billing_account_id
     and p.currency = s.currency and p.period_start = s.period_start
)

select
    invoice_month, billing_period_start, 'Google Cloud' as provider_name, billing_account_id,
    currency as billing_currency, team, workload_phase,
    sum(case when is_shared then cast(0 as decimal(38,9)) else effective_cost end) as direct_cost,
    sum(case when is_shared then effective_cost else cast(0 as decimal(38,9)) end) as shared_cost,
    sum(effective_cost) as effective_cost,
    sum(effective_cost) as billed_cost,
    sum(list_cost) as list_cost,
    sum(credits_total) as credits_total,
    sum(line_item_count) as line_item_count
from allocated
group by all
