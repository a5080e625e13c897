"""MODEL.md v2 deterministic mode, vectorised with NumPy: the comparison issue 15 asks for.

The same model and outputs as `telur run --mode deterministic` (the four tables' values,
not the files, charts or report: that only favours NumPy), written the way a competent
NumPy user would: the KUBE and household state as arrays, every weekly equation one array
operation over all KUBE or all started households, quantiles by `np.quantile` (type 7,
selection rather than a sort). The setup (scenario, placements, data) and the comparison
come from `tests/reference/reference.py`, so the two implementations share nothing but
MODEL.md and what they compare against.

    python3 benches/numpy_model.py SCENARIO [TELUR_OUTPUT_DIR]

prints the seconds the simulation and summaries took; with an output folder of telur's
deterministic run of the same scenario, it checks every value against it (relative 1e-9).
"""
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'reference'))
from reference import resolve, resolve_placements, g, compare, add_win_shares  # noqa: E402
from statistics import NormalDist  # noqa: E402
import datetime  # noqa: E402

PENDING, ACTIVE, RESTING, CLOSED, FAILED = range(5)
ARMS = ('prog', 'wo', 'cash')
PW = ('active_kubes', 'hens', 'eggs_kg', 'revenue_rp', 'cost_rp', 'payout_rp', 'cash_rp',
      'failed_kubes', 'closed_kubes', 'income_pc_month_p10_rp', 'income_pc_month_p50_rp',
      'income_pc_month_p90_rp', 'above_line_share', 'graduated_share',
      'income_pc_month_p50_without_rp', 'above_line_share_without', 'above_line_share_cash',
      'graduated_share_without', 'graduated_share_cash')


def paths(sc):
    """Demand, baseline supply, hub egg price and feed price per week (and region)."""
    T = sc['weeks']
    start = datetime.date.fromisoformat(str(sc['start_date']))
    regs = sc['_regions']
    col = lambda k: np.array([float(r[k]) for r in regs])
    mk = sc['market']
    t = np.arange(T)
    month = np.array([(start + datetime.timedelta(days=7 * int(w) + 3)).month - 1 for w in t])
    gr = lambda rate: (1 + rate) ** (t[:, None] / 52)
    D = col('population') * gr(col('population_growth')) * col('egg_consumption_kg_per_capita_year') / 52 \
        * np.array(mk['demand_season'])[month][:, None]
    B = 1000 * col('layer_egg_production_t_year') * gr(col('production_growth')) / 52
    Phub = mk['hub_egg_price_rp_per_kg'] * (1 + mk['food_inflation']) ** (t / 52) * np.array(mk['price_season'])[month]
    F = (mk['hub_feed_price_rp_per_kg'] + col('feed_transport_rp_per_kg')) * gr(mk['feed_inflation'])
    return D, B, Phub, F, col


def curve_tables(breed, top):
    """Each breed column by age 0..top: before the first row no laying, the first row's
    other values; past the last row, the last row."""
    a0 = int(breed[0]['age_weeks'])
    ages = np.arange(top + 1)
    i = np.clip(ages - a0, 0, len(breed) - 1)
    col = lambda k: np.array([float(r[k]) for r in breed])[i]
    hen_day = np.where(ages < a0, 0.0, col('hen_day'))
    return hen_day, col('egg_weight_g'), col('feed_g_per_hen_day'), col('weekly_mortality')


def simulate(sc):
    T = sc['weeks']
    D, B, Phub, F, col = paths(sc)
    R = D.shape[1]
    mk, hh = sc['market'], sc['household']
    transport = col('transport_cost_rp_per_kg')
    line_pc = col('poverty_line_rp_per_capita_month')
    size_r = col('poor_household_size')
    sigma = hh['income_dispersion_sigma']
    alpha = 2 / (hh['smoothing_weeks'] + 1)
    disc_rate = sc['program']['discount_rate']
    nd = NormalDist()
    plist, names = resolve_placements(sc)
    results = {}
    for (pname, counts, sw, rw, ds) in plist:
        fl, kb, pg = ds['flock'], ds['kube'], ds['program']
        M, H0 = kb['members'], fl['hens_per_kube']
        kregion = np.repeat(np.arange(R), counts)
        n = len(kregion)
        kstart = sw + (np.arange(n) * rw) // max(n, 1)
        hen_day, egg_w, feed_g, mort = curve_tables(ds['breed'], fl['cull_age_weeks'] + 1)
        st = np.full(n, PENDING)
        N = np.zeros(n); A = np.zeros(n, dtype=np.int64); C = np.zeros(n); rest = np.zeros(n, dtype=np.int64)
        outlay = np.zeros(n)
        k_pay = np.zeros(n); k_cost = np.zeros(n); k_npv_cost = np.zeros(n); k_npv_ben = np.zeros(n)
        spread = np.array([math.exp(sigma * nd.inv_cdf((i + 0.5) / M) - sigma ** 2 / 2) for i in range(M)])
        hregion = np.repeat(kregion, M)
        size = size_r[hregion]
        y = hh['baseline_income_ratio'] * line_pc[hregion] * size * np.tile(spread, n)
        line_h = line_pc[hregion] * size
        H = n * M
        S = np.zeros((3, H))
        streak = np.zeros((3, H), dtype=np.int16)
        gw = np.full((3, H), -1, dtype=np.int16)
        prev_nh = 0
        poor_entry = 0
        gain = {'prog': 0.0, 'cash': 0.0}
        hweeks = 0
        rw_out = np.zeros((T, R, 6))
        pw_out = []
        pay_total = 0.0; npv_pay = 0.0
        shp_rate = fl['spent_hen_price_rp']
        for t in range(T):
            food = g(mk['food_inflation'], t)
            pullet = fl['pullet_price_rp'] * food
            C0t = kb['working_capital_rp'] * food
            Rt = kb['reserve_target_rp'] * food
            disc = (1 + disc_rate) ** (-t / 52)
            payout = np.zeros(n); kcost = np.zeros(n)
            # Start of week: start, restock or close.
            new = (st == PENDING) & (kstart == t)
            st[new] = ACTIVE; N[new] = H0; A[new] = fl['placement_age_weeks']; C[new] = C0t
            outlay[new] = pg['capex_rp_per_kube'] * food + H0 * pullet + C0t
            kcost[new] += outlay[new]
            due = (st == RESTING) & (rest == 0)
            nn = np.minimum(H0, (C - C0t) / pullet)
            close = due & (nn < kb['min_restock_fraction'] * H0)
            payout[close] += np.maximum(C[close], 0); C[close] = 0; st[close] = CLOSED
            again = due & ~close
            C[again] -= nn[again] * pullet; N[again] = nn[again]; A[again] = fl['placement_age_weeks']; st[again] = ACTIVE
            wstat = st.copy()
            act = wstat == ACTIVE
            # Eggs and the market.
            a = np.minimum(A, len(hen_day) - 1)
            ekg = np.where(act, N * 7 * hen_day[a] * fl['production_factor'] * egg_w[a] / 1000, 0.0)
            fkg = np.where(act, N * 7 * feed_g[a] / 1000, 0.0)
            K = np.bincount(kregion, weights=np.where(act & (N > 0), ekg, 0.0), minlength=R)
            with np.errstate(divide='ignore', invalid='ignore'):
                x = np.where(D[t] == 0, np.inf, (B[t] + K) / D[t])
            P = Phub[t] + transport * np.clip((1 - x) / mk['price_band_width'], -1, 1)
            rw_out[t] = np.stack([D[t], B[t], K, np.maximum(0, D[t] - B[t] - K), x, P], axis=1)
            # Settlement of the active KUBE.
            shp = shp_rate * food
            r = kregion
            sales = ekg * P[r] * mk['farmgate_share'] * fl['egg_price_factor']
            cost = fkg * F[t][r] + N * (fl['vet_cost_rp_per_hen_week'] * food) + fl['fixed_cost_rp_per_kube_week'] * food \
                + ekg * (fl['tray_cost_rp_per_kg'] * food)
            dep = N * max(0, pullet - shp) / (fl['cull_age_weeks'] - fl['placement_age_weeks'])
            N = np.where(act, N * (1 - np.minimum(1, mort[a] * fl['mortality_factor'])), N)
            A = np.where(act, A + 1, A)
            cull = act & (A >= fl['cull_age_weeks'])
            spent = np.where(cull, N * shp, 0.0)
            N[cull] = 0; st[cull] = RESTING; rest[cull] = fl['rest_weeks']
            net = sales - cost
            base = net - dep if kb['payout_rule'] == 'replacement' else net
            pay = (1 - kb['retain_share']) * np.maximum(base, 0)
            Cn = C + net - pay + spent
            over = act & (Cn > Rt)
            pay = np.where(over, pay + Cn - Rt, pay); Cn = np.where(over, Rt, Cn)
            fail = act & (Cn < 0)
            extra = np.where(fail, N * shp, 0.0)
            Cn = Cn + extra
            pay = np.where(fail, pay + np.maximum(Cn, 0), pay)
            st[fail] = FAILED; N[fail] = 0; Cn[fail] = 0
            C = np.where(act, Cn, C)
            payout += np.where(act, pay, 0.0)
            rev = float(np.sum(np.where(act, sales + spent + extra, 0.0)))
            cost_sum = float(np.sum(np.where(act, cost, 0.0)))
            eggs_sum = float(np.sum(ekg))
            mentored = (wstat == ACTIVE) | (wstat == RESTING)
            mentoring = np.where(mentored, pg['mentoring_rp_per_kube_week'], 0.0)
            kcost += mentoring
            rest[wstat == RESTING] -= 1
            Wt = hh['forgone_rp_per_member_week'] * g(hh['income_growth'], t)
            k_cost += kcost; k_npv_cost += kcost * disc; k_pay += payout
            forgone = np.where(act, Wt, 0.0)
            k_npv_ben += np.where(t >= kstart, (payout - M * forgone) * disc, 0.0)
            pay_total += float(payout.sum()); npv_pay += float(payout.sum()) * disc
            # Households of started KUBE (a prefix: start weeks never decrease), three arms,
            # as per-KUBE rows of M members; in place where MODEL.md's order allows it.
            ks = int(np.searchsorted(kstart, t, side='right'))
            nh = ks * M
            hweeks += nh
            cash_k = outlay[:ks] / (T - kstart[:ks]) + mentoring[:ks]
            I_wo = y[:nh] * g(hh['income_growth'], t)
            I_wo *= 12
            I_wo /= 52
            I_wo = I_wo.reshape(ks, M)
            I_prog = I_wo + (payout[:ks] / M)[:, None]
            I_prog -= forgone[:ks, None]
            I_cash = I_wo + (cash_k / M)[:, None]
            sz = size[:nh].reshape(ks, M)
            for name, I_arm in (('prog', I_prog), ('cash', I_cash)):
                d = I_arm - I_wo
                d *= 52
                d /= 12
                d /= sz
                gain[name] += float(d.sum())
            L = line_h[:nh] * g(hh['poverty_line_growth'], t)
            L *= 12
            L /= 52
            thr = hh['graduation_threshold'] * L
            # S(start - 1) is the income without the programme in every arm.
            S[:, prev_nh:nh] = I_wo.reshape(-1)[prev_nh:]
            above_n = []
            for j, I_arm in enumerate((I_prog, I_wo, I_cash)):
                s = S[j, :nh]
                s *= 1 - alpha
                s += alpha * I_arm.reshape(-1)
                above = s >= thr
                st_j = streak[j, :nh]
                st_j += 1
                st_j *= above
                g_j = gw[j, :nh]
                g_j[(g_j < 0) & (st_j >= hh['graduation_weeks'])] = t
                above_n.append(int(np.count_nonzero(above)))
                if j == 1:
                    poor_entry += int(np.count_nonzero(~above[prev_nh:]))
            prev_nh = nh
            sh = (lambda v: v / nh) if nh else (lambda v: None)
            if nh:
                pc = S[0, :nh] / size[:nh]
                pc *= 52
                pc /= 12
                q = np.quantile(pc, [0.1, 0.5, 0.9], overwrite_input=True)
                pc = S[1, :nh] / size[:nh]
                pc *= 52
                pc /= 12
                q_wo = float(np.quantile(pc, 0.5, overwrite_input=True))
            else:
                q, q_wo = [None] * 3, None
            grads = [int(np.count_nonzero(gw[j, :nh] >= 0)) for j in range(3)]
            pw_out.append(dict(zip(PW, (
                int(act.sum()), float(N.sum()), eggs_sum, rev, cost_sum, float(payout.sum()), float(C.sum()),
                int(np.sum(st == FAILED)), int(np.sum(st == CLOSED)), q[0], q[1], q[2], sh(above_n[0]),
                sh(grads[0]), q_wo, sh(above_n[1]), sh(above_n[2]), sh(grads[1]), sh(grads[2])))))
        endd = (1 + disc_rate) ** (-T / 52)
        shT = shp_rate * g(mk['food_inflation'], T)
        results[pname] = dict(counts=counts, rw=rw_out, pw=pw_out, st=st, kstart=kstart, kregion=kregion, gw=gw,
                              M=M, pay_total=pay_total, npv_pay=npv_pay + float(C.sum()) * endd,
                              k_pay=k_pay, k_cost=k_cost, k_npv_cost=k_npv_cost, k_npv_ben=k_npv_ben,
                              k_end=(C + N * shT) * endd, poor_entry=poor_entry, streak=streak, gain=gain,
                              hweeks=hweeks)
    return summarise(sc, results, D, names, col, R, T)


def summarise(sc, results, D, names, col, R, T):
    """MODEL.md 6's summary and region summary, by region with `np.bincount`."""
    base = results['baseline']
    transport = col('transport_cost_rp_per_kg')
    div = lambda a, b: None if not b else a / b
    minus = lambda a, b: None if a is None or b is None else a - b
    summary, rsum = {}, {}
    base_def = base['rw'][:, :, 3]
    for pname, res in results.items():
        M = res['M']
        counts = np.array(res['counts']); target = counts > 0
        rw = res['rw']
        started = res['kstart'] < T
        kr = res['kregion']
        by_region = lambda v: np.bincount(kr, weights=np.where(started, v, 0.0), minlength=R)
        n_r = by_region(np.ones(len(kr)))
        hh_r = n_r * M
        hreg = np.repeat(kr, M)
        hstarted = np.repeat(started, M)
        grad_r = {a: np.bincount(hreg, weights=(hstarted & (res['gw'][j] >= 0)).astype(float), minlength=R)
                  for j, a in enumerate(ARMS)}
        above_r = {a: np.bincount(hreg, weights=(hstarted & (res['streak'][j] > 0)).astype(float), minlength=R)
                   for j, a in enumerate(ARMS)}
        st = res['st']
        operating_r = by_region(((st == ACTIVE) | (st == RESTING)).astype(float))
        failed = int(np.sum(started & (st == FAILED))); closed = int(np.sum(started & (st == CLOSED)))
        pay_r, cost_r = by_region(res['k_pay']), by_region(res['k_cost'])
        npv_cost_r = by_region(res['k_npv_cost'])
        npv_ben_r = by_region(res['k_npv_ben'] + res['k_end'])
        hm_r = by_region((T - res['kstart']) * 12 / 52 * M)
        tot = lambda v: float(v.sum())
        o_hh = tot(hh_r)
        grad = {a: tot(grad_r[a]) for a in ARMS}
        share = lambda x: div(x, o_hh)
        gs = {a: share(grad[a]) for a in ARMS}
        caused = grad['prog'] - grad['wo']
        gwp = res['gw'][0]
        ks = np.repeat(res['kstart'], M)
        weeks = np.sort((gwp - ks + 1)[hstarted & (gwp >= 0)])
        med = None if not len(weeks) else float(np.quantile(weeks, 0.5))
        d = rw[:, :, 3]
        wsum = float(D[:, target].sum())
        pc = float(np.sum(D[:, target] * (rw[:, target, 5] - base['rw'][:, target, 5]) / base['rw'][:, target, 5]))
        n_started = tot(n_r)
        summary[pname] = {
            'kubes': int(counts.sum()), 'households': int(counts.sum()) * M, 'eggs_kg': float(rw[:, :, 2].sum()),
            'deficit_reduction_kg': float((base_def - d).sum()),
            'deficit_reduction_share': div(float((base_def - d)[:, target].sum()), float(base_def[:, target].sum())),
            'import_cost_saved_rp': float(((base_def - d) * transport).sum()),
            'kubes_operating_end_share': div(tot(operating_r), n_started),
            'kubes_failed_share': div(failed, n_started), 'kubes_closed_share': div(closed, n_started),
            'graduated_share': gs['prog'], 'median_weeks_to_graduation': med,
            'payout_per_household_month_rp': div(res['pay_total'], tot(hm_r)), 'program_cost_rp': tot(cost_r),
            'npv_program_cost_rp': tot(npv_cost_r), 'npv_payouts_rp': res['npv_pay'], 'npv_benefits_rp': tot(npv_ben_r),
            'benefit_cost_ratio': div(tot(npv_ben_r), tot(npv_cost_r)),
            'cost_per_graduate_rp': div(tot(cost_r), grad['prog']),
            'graduated_share_without': gs['wo'], 'graduated_share_cash': gs['cash'],
            'graduation_attributable_share': minus(gs['prog'], gs['wo']),
            'graduation_attributable_share_cash': minus(gs['cash'], gs['wo']),
            'attributable_graduates': caused,
            'cost_per_attributable_graduate_rp': tot(cost_r) / caused if caused > 0 else None,
            'poor_at_entry_share': share(res['poor_entry']),
            'above_line_end_share': share(tot(above_r['prog'])),
            'above_line_end_share_without': share(tot(above_r['wo'])),
            'above_line_end_share_cash': share(tot(above_r['cash'])),
            'income_gain_pc_month_rp': div(res['gain']['prog'], res['hweeks']),
            'income_gain_pc_month_cash_rp': div(res['gain']['cash'], res['hweeks']),
            'consumer_price_change_pct': None if not wsum else 100 * pc / wsum,
        }
        for r in range(R):
            g_prog, g_wo = div(grad_r['prog'][r], hh_r[r]), div(grad_r['wo'][r], hh_r[r])
            caused_r = grad_r['prog'][r] - grad_r['wo'][r]
            rsum[(pname, names[r])] = {
                'kubes': int(counts[r]), 'households': int(counts[r]) * M, 'eggs_kg': float(rw[:, r, 2].sum()),
                'deficit_kg': float(d[:, r].sum()), 'deficit_reduction_kg': float(base_def[:, r].sum() - d[:, r].sum()),
                'self_sufficiency_mean': float(rw[:, r, 4].sum()) / T, 'price_mean_rp_per_kg': float(rw[:, r, 5].sum()) / T,
                'graduated_share': g_prog, 'graduated_share_without': g_wo,
                'graduation_attributable_share': minus(g_prog, g_wo),
                'payout_per_household_month_rp': div(pay_r[r], hm_r[r]),
                'kubes_operating_end_share': div(operating_r[r], n_r[r]),
                'program_cost_rp': float(cost_r[r]), 'npv_program_cost_rp': float(npv_cost_r[r]),
                'npv_benefits_rp': float(npv_ben_r[r]), 'benefit_cost_ratio': div(npv_ben_r[r], npv_cost_r[r]),
                'cost_per_attributable_graduate_rp': cost_r[r] / caused_r if caused_r > 0 else None}
    add_win_shares(summary)
    return summary, rsum, results, names


if __name__ == '__main__':
    sc = resolve(sys.argv[1])
    began = time.perf_counter()
    s, r, res, names = simulate(sc)
    print(f'numpy: {time.perf_counter() - began:.2f} s (simulation and summaries)')
    if len(sys.argv) > 2:
        sys.exit(1 if compare(sys.argv[2], s, r, res, names) else 0)
