"""The quota rules on both stores from the same code: in-process and through a real redis-server.

Each case drives a ``Driver`` (`support.drivers`): reserve N tokens, record an observation for the oldest token
held (or another), release one, let time pass, and read the view. Both stores run on the test's fake clock;
the Redis one swaps its state through a real redis-server at every step.
"""

from __future__ import annotations

import math

import pytest

from skipcall_async._pacing.rules import Observation, WindowSeen
from support.drivers import MARGIN, Stores, store_fixture

WINDOW = 60.0
stores = store_fixture()


def seen(
    remaining: int | None,
    reset_in: float | None,
    *,
    limit: int = 100,
    span: float = WINDOW,
    name: str = "default",
    more: tuple[WindowSeen, ...] = (),
) -> Observation:
    """A success whose headers say ``remaining`` left until ``reset_in`` seconds from now (None: no headers)."""
    if remaining is None or reset_in is None:
        return Observation(False, None, more)
    return Observation(False, None, (WindowSeen(name, limit, remaining, reset_in, reset_in, span), *more))


def rejected(gate_in: float | None) -> Observation:
    """A 429 asking to wait ``gate_in`` seconds (None: no usable hint)."""
    return Observation(True, gate_in, ())


async def test_cold_start_admits_one_probe_until_headers_arrive(stores: Stores) -> None:
    """One probe; when its headers say 99 left, 99 more are granted and the rest wait for the probe's hit to age."""
    driver = stores()
    assert (await driver.reserve(3))[0] == 1
    await driver.record(seen(99, 60.0))
    granted, retry_in = await driver.reserve(150)
    assert granted == 99
    assert retry_in == pytest.approx(60.0, abs=0.05)  # a minute after its answer (before reset + margin)
    assert (await driver.view()).in_flight == 99


async def test_a_stated_plan_opens_an_assumed_window(stores: Stores) -> None:
    """With the plan's limit given, a whole window goes out at once, then the real headers take over."""
    driver = stores(assumed_limit=20)
    assert (await driver.reserve(25))[0] == 20
    await driver.record(seen(5, 10.0))
    view = await driver.view()
    assert (view.remaining, view.in_flight) == (0, 19)  # 5 left, 19 still in flight: nothing to spare
    assert view.reset_in == pytest.approx(10.0, abs=0.05)


async def test_an_answer_frees_only_what_it_proves(stores: Stores) -> None:
    """Three sent together: an answer saying 9 left proves 9 less the two others, whichever was counted first."""
    driver = stores(probe=3)
    assert (await driver.reserve(3))[0] == 3
    await driver.record(seen(5, 60.0))
    assert (await driver.view()).remaining == 5 - 2
    await driver.record(seen(9, 60.0))  # counted before the 5 (or after, in a log whose hits age out)
    view = await driver.view()
    assert view.remaining == 9 - 2
    assert view.in_flight == 1


async def test_a_later_reset_opens_a_new_window_and_an_earlier_one_is_stale(stores: Stores) -> None:
    """Past the tolerance a later reset replaces the window's end; an earlier one is an old window's straggler."""
    driver = stores(probe=3)
    await driver.reserve(3)
    await driver.record(seen(10, 5.0))
    await driver.record(seen(40, 30.0))  # a new window
    await driver.record(seen(1, 3.0))  # stale
    view = await driver.view()
    assert view.remaining == 40 - 2  # the two others may have been counted after the 40
    assert view.reset_in == pytest.approx(30.0, abs=0.05)


async def test_after_the_reset_a_single_probe_goes_first(stores: Stores) -> None:
    """A spent window makes everyone wait for its reset; then one probe learns the next window."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(0, 0.3))
    granted, retry_in = await driver.reserve(5)
    assert granted == 0
    assert retry_in == pytest.approx(0.3 + MARGIN, abs=0.05)
    await driver.sleep(0.4)
    assert (await driver.reserve(5))[0] == 1


async def test_answers_overtaking_each_other_free_what_the_least_of_them_proves(stores: Stores) -> None:
    """Five in flight as the window ends; their answers (3, 4, then 2, 2, 2) leave exactly 2 once all are back.

    The one the server counted last among them said 2 or more, and nothing was counted after it; the larger
    answers, from requests counted earlier, prove less because the others may have been counted after them.
    """
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(5, 0.3))
    assert (await driver.reserve(5))[0] == 5
    await driver.sleep(0.35)  # the window's end passed with the five in flight
    await driver.record(seen(3, 0.6))
    await driver.record(seen(4, 0.6))
    assert (await driver.view()).remaining == 0
    assert (await driver.reserve(1))[0] == 0
    for _ in range(3):
        await driver.record(seen(2, 0.6))
    view = await driver.view()
    assert (view.remaining, view.in_flight) == (2, 0)
    assert (await driver.reserve(5))[0] == 2


async def test_answers_that_say_more_left_free_what_they_prove(stores: Stores) -> None:
    """A probe finds 8; 8 go; five answer 13 to 11 (old hits aged out): 11 less the 3 still in flight is sure.

    Each answer alone proves 13 less the 7 others (6); the epoch proves more: the last counted of the five said
    11 or more, and only the three in flight can have been counted after it.
    """
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(8, 0.3))
    assert (await driver.reserve(8))[0] == 8
    for left in (13, 11, 13, 13, 12):
        await driver.record(seen(left, 0.3))
    view = await driver.view()
    assert (view.remaining, view.in_flight) == (11 - 3, 3)
    assert (await driver.reserve(10))[0] == 8


async def test_an_epoch_proves_more_than_stale_stamps(stores: Stores) -> None:
    """Since nothing was last in flight, the least answer so far, less what is in flight, is sure to be left.

    A probe finds 2; two go and one answers 5 (hits aged out): 4 more go. The other of the two then answers 5:
    its own stamp proves nothing new, but the epoch (least 5, three answered) proves one more token.
    """
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(2, 30.0))
    assert (await driver.reserve(5))[0] == 2
    await driver.record(seen(5, 30.0))
    assert (await driver.reserve(10))[0] == 4
    await driver.record(seen(5, 30.0))
    assert (await driver.view()).remaining == 1


async def test_a_request_that_may_have_been_counted_unseen_spoils_the_epoch(stores: Stores) -> None:
    """The same epoch with a request that timed out: it may be the one counted last, so the epoch proves nothing."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(2, 30.0))
    assert (await driver.reserve(5))[0] == 2
    await driver.record(seen(5, 30.0))
    assert (await driver.reserve(10))[0] == 4
    await driver.release()  # sent, no answer
    assert (await driver.view()).remaining == 0


async def test_a_429_closes_the_gate_then_probes(stores: Stores) -> None:
    """A 429 with a hint closes the gate for that long for everybody and forgets the window."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(50, 60.0))
    assert (await driver.reserve(2))[0] == 2
    await driver.record(rejected(0.3))
    granted, retry_in = await driver.reserve(5)
    assert granted == 0
    assert retry_in == pytest.approx(0.3, abs=0.05)
    view = await driver.view()
    assert view.rate_limited == 1
    assert view.remaining is None
    await driver.sleep(0.35)
    await driver.release()  # the last one in flight never answers
    assert (await driver.reserve(5))[0] == 1  # the probe after the gate


async def test_429s_without_a_hint_back_off_growing_and_a_success_resets(stores: Stores) -> None:
    """No hint: the gate doubles (top of the jitter range) with each 429 in a row; a success starts it over."""
    driver = stores(backoff_base=0.1)
    gates = []
    for _ in range(3):
        assert (await driver.reserve(1))[0] == 1
        await driver.record(rejected(None))
        gates.append((await driver.view()).gate_closed_for)
        await driver.sleep(gates[-1] + 0.02)
    assert gates == pytest.approx([0.1, 0.2, 0.4], abs=0.02)
    await driver.reserve(1)
    await driver.record(seen(10, 60.0))
    await driver.reserve(1)
    await driver.record(rejected(None))
    assert (await driver.view()).gate_closed_for == pytest.approx(0.1, abs=0.02)


async def test_a_request_that_never_left_gives_its_token_back(stores: Stores) -> None:
    """Cancelled before it was sent: its token is free again."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(3, 60.0))
    assert (await driver.reserve(5))[0] == 3
    await driver.release(sent=False)
    assert (await driver.reserve(5))[0] == 1
    assert (await driver.view()).in_flight == 3


async def test_a_request_that_may_have_reached_the_server_spends_its_token(stores: Stores) -> None:
    """A timeout after sending: the server may have counted it, so its token is not given back."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(3, 60.0))
    assert (await driver.reserve(5))[0] == 3
    await driver.release()
    assert (await driver.reserve(5))[0] == 0
    assert (await driver.view()).in_flight == 2


async def test_hits_age_out_one_span_after_their_answers(stores: Stores) -> None:
    """A sliding log reporting a far reset: a request answered a span ago no longer counts, whatever the reset."""
    driver = stores(probe=10)
    assert (await driver.reserve(10))[0] == 10
    for n in range(10):
        await driver.record(seen(99 - n, 30.0, span=0.5))  # ten hits counted, the server resets in 30 s
    view = await driver.view()
    assert view.remaining == 90
    await driver.sleep(0.6)
    assert (await driver.reserve(120))[0] == 100  # all ten aged out: the whole limit, no probe needed


async def test_hits_from_before_the_first_answer_count_until_they_age_out(stores: Stores) -> None:
    """The first answer says 50 left: 49 hits are not ours, and count for one span, then ageing frees them too."""
    driver = stores()
    assert (await driver.reserve(1))[0] == 1
    await driver.record(seen(50, 30.0, span=0.5))
    assert (await driver.reserve(80))[0] == 50
    await driver.sleep(0.3)
    assert (await driver.reserve(80))[0] == 0  # neither the earlier hits nor the probe's have aged out yet
    await driver.sleep(0.3)
    assert (await driver.reserve(80))[0] == 50  # the earlier 49 and the probe's are gone; our 50 still count


async def test_every_named_limit_must_have_room(stores: Stores) -> None:
    """The default limit has room for 99 more, a short named one for 9: 9 go, then the short one's end decides."""
    driver = stores()
    assert (await driver.reserve(1))[0] == 1
    short = WindowSeen("short", 10, 9, 1.0, 1.0, 1.0)
    await driver.record(seen(99, 60.0, more=(short,)))
    granted, retry_in = await driver.reserve(20)
    assert granted == 9
    assert retry_in == pytest.approx(1.0, abs=0.05)  # the probe's hit leaves the short window after a second
    view = await driver.view()
    assert view.limit == 10
    assert view.remaining == 0


async def test_asking_again_for_the_same_lease_takes_one_token(stores: Stores) -> None:
    """A reservation retried after a lost answer names the same ids: a lease granted then is not taken twice."""
    driver = stores(probe=1)
    await driver.reserve(1)
    await driver.record(seen(10, 60.0))
    backend = driver.backend
    first = await backend.reserve("process-a", {"interactive": ["a", "b"]}, lasts=3.0)
    again = await backend.reserve("process-a", {"interactive": ["a", "b", "c"]}, lasts=3.0)
    assert first is not None
    assert again is not None
    assert (first.granted, again.granted) == (2, 3)
    assert again.interactive[:2] == first.interactive  # the leases granted before keep their stamps
    view = await driver.view()
    assert view.in_flight == 3
    assert view.remaining == 7


async def test_a_burst_of_429s_counts_as_one_step_of_the_backoff(stores: Stores) -> None:
    """Ten requests in flight all refused without a hint: the gate closes for one step, not ten doublings."""
    driver = stores(backoff_base=0.1)
    await driver.reserve(1)
    await driver.record(seen(50, 60.0))
    assert (await driver.reserve(10))[0] == 10
    for _ in range(10):
        await driver.record(rejected(None))
    view = await driver.view()
    assert view.rate_limited == 10
    assert view.gate_closed_for == pytest.approx(0.1, abs=0.02)
    await driver.sleep(0.12)
    await driver.reserve(1)  # the probe after the gate: refused again, the next step
    await driver.record(rejected(None))
    assert (await driver.view()).gate_closed_for == pytest.approx(0.2, abs=0.02)


async def test_an_expired_lease_counts_as_spent(stores: Stores) -> None:
    """A worker killed with requests in flight: once their leases expire, they are spent, not given back.

    Their requests may have reached the server, so the capacity comes back with the next window (or as they
    age out), not at the leases' expiry.
    """
    driver = stores(probe=1)
    await driver.reserve(1)
    await driver.record(seen(10, 1.0))
    assert (await driver.reserve(4, lease=0.2, prefix="dead"))[0] == 4
    await driver.sleep(0.3)  # the leases expired, their responses never came
    view = await driver.view()
    assert (view.in_flight, view.remaining) == (0, 10 - 4)
    assert '"answered":5,' in driver.state_json()  # ended: the probe and the four, for ageing
    granted, retry_in = await driver.reserve(8)
    assert granted == 6
    assert retry_in == pytest.approx(1.0 - 0.3 + MARGIN, abs=0.1)  # the rest when the window ends


async def test_a_lease_still_running_in_a_new_window_holds_its_token_there(stores: Stores) -> None:
    """A lease taken in one window and never answered counts in flight in the next, then as spent there."""
    driver = stores(probe=1)
    await driver.reserve(1)
    await driver.record(seen(10, 0.2))
    assert (await driver.reserve(1, lease=0.4, prefix="slow"))[0] == 1
    await driver.sleep(0.3)  # the window ended; the lease still runs
    await driver.reserve(1)  # the next window's probe
    await driver.record(seen(10, 1.0), token=1)
    assert (await driver.view()).remaining == 10 - 1  # in flight
    await driver.sleep(0.2)  # now the old lease expires
    view = await driver.view()
    assert (view.in_flight, view.remaining) == (0, 10 - 1)  # spent


async def test_a_straggler_of_the_last_window_is_counted_as_maybe_in_this_one(stores: Stores) -> None:
    """A request in flight when a new window was learned may be counted in it: its late answer frees nothing."""
    driver = stores(probe=2)
    assert (await driver.reserve(2))[0] == 2
    await driver.record(seen(30, 20.0))  # a new window; one request still in flight
    assert (await driver.view()).remaining == 29
    await driver.record(seen(0, 2.0))  # that one: the last window's straggler
    assert (await driver.view()).remaining == 29


# -- lanes ---------------------------------------------------------------------------------------------------------


async def test_waiting_interactive_requests_go_before_bulk_ones(stores: Stores) -> None:
    """Five tokens, three interactive and five bulk waiting: the three interactive ones, then two bulk ones."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(5, 60.0))
    interactive, bulk, retry_in = await driver.reserve_lanes(3, 5)
    assert (interactive, bulk) == (3, 2)
    assert retry_in == pytest.approx(60.0, abs=0.05)


async def test_bulk_gets_one_grant_in_ten_while_both_lanes_wait(stores: Stores) -> None:
    """Twenty tokens and thirty waiting in each lane: bulk is never starved, it gets every tenth (2 of 20)."""
    driver = stores()
    await driver.reserve(1)
    await driver.record(seen(20, 60.0))
    interactive, bulk, _ = await driver.reserve_lanes(30, 30)
    assert (interactive, bulk) == (18, 2)


async def test_bulk_may_not_take_the_interactive_reserve(stores: Stores) -> None:
    """A tenth of a 100 window is held back from bulk, and shrinks as the window runs out: bulk takes it by then."""
    driver = stores(reserve_share=0.1)
    await driver.reserve(1)
    await driver.record(seen(99, 1.0))  # a 1 s window, 99 left: bulk may take 89 now
    interactive, bulk, retry_in = await driver.reserve_lanes(0, 120)
    assert (interactive, bulk) == (0, 89)
    assert retry_in == pytest.approx(0.1, abs=0.05)  # when the reserve of 10 falls to 9
    assert (await driver.reserve_lanes(2, 0))[0] == 2  # an interactive call finds room at once
    await driver.sleep(0.5)  # half the window left: a reserve of 5, of the 8 still free
    assert (await driver.reserve_lanes(0, 120))[1] == 3
    await driver.sleep(0.55)  # the window is over: the reserve is gone with it
    view = await driver.view()
    assert view.remaining is None


async def test_without_bulk_the_reserve_changes_nothing(stores: Stores) -> None:
    """Interactive requests alone (everybody's default) take the whole window, reserve or not."""
    driver = stores(reserve_share=0.1)
    await driver.reserve(1)
    await driver.record(seen(99, 10.0))
    assert (await driver.reserve_lanes(150, 0))[:2] == (99, 0)


async def test_processes_of_one_lane_end_the_window_with_even_shares(stores: Stores) -> None:
    """Two processes each waiting for 100 bulk calls, 60 left: 30 each, whichever asks first."""
    a = stores(member="process-a")
    b = stores.sibling(a, "process-b")
    assert await a.reserve_lanes(0, 1) == (0, 1, math.inf)  # the probe
    assert (await b.reserve_lanes(0, 100))[:2] == (0, 0)  # b waits for the probe's answer: registered
    await a.record(seen(60, 60.0))
    assert (await a.reserve_lanes(0, 100))[:2] == (0, 30)
    assert (await b.reserve_lanes(0, 100))[:2] == (0, 30)
    assert (await a.reserve_lanes(0, 70))[:2] == (0, 0)  # nothing left for anybody


async def test_an_interactive_call_in_one_process_goes_before_bulk_in_another(stores: Stores) -> None:
    """Process a waits with an interactive call; process b's bulk calls do not take the token it is owed."""
    a = stores(member="process-a")
    b = stores.sibling(a, "process-b")
    assert (await a.reserve_lanes(1, 0))[0] == 1  # the probe
    assert (await a.reserve_lanes(1, 0))[0] == 0  # a second interactive call waits for the probe: registered
    await a.record(seen(1, 60.0))  # one token left
    assert (await b.reserve_lanes(0, 10))[:2] == (0, 0)  # b's bulk leaves it to a
    assert (await a.reserve_lanes(1, 0))[0] == 1


async def test_a_process_that_stopped_asking_stops_counting(stores: Stores) -> None:
    """A waiting entry lapses unless renewed (three polls): a dead process's demand does not hold others back."""
    a = stores(member="process-a")
    b = stores.sibling(a, "process-b")
    assert (await a.reserve_lanes(1, 0))[0] == 1
    assert (await b.reserve_lanes(5, 0))[0] == 0  # b registers 5 interactive waiting, then dies
    await a.record(seen(10, 60.0))
    assert (await a.reserve_lanes(0, 10))[1] == 0  # b's interactive calls go first ... while its entry lasts
    await a.sleep(3.1)
    assert (await a.reserve_lanes(0, 10))[1] == 10


async def test_bulk_held_back_by_the_reserve_goes_again_as_soon_as_room_ages_out(stores: Stores) -> None:
    """Bulk stopped at the reserve of a long window asks again when a hit ages out, not when the reserve shrinks.

    A sliding log frees its room hit by hit: the probe's hit leaves a span (0.5 s) after its answer, long before
    the 30 s window's reserve would shrink by one (3 s).
    """
    driver = stores(reserve_share=0.1)
    await driver.reserve(1)
    await driver.record(seen(99, 30.0, span=0.5))
    interactive, bulk, retry_in = await driver.reserve_lanes(0, 200)
    assert (interactive, bulk) == (0, 89)
    assert retry_in == pytest.approx(0.5, abs=0.05)
    await driver.sleep(0.55)
    assert (await driver.reserve_lanes(0, 200))[1] == 1  # the probe's room, the reserve still held


async def test_a_hint_followed_and_refused_again_is_not_believed_alone(stores: Stores) -> None:
    """429s that keep asking for 10 ms: the first is believed; from the second in a row, the gate stays closed at
    least as long as a hint-less 429 would close it (a server whose hint is wrong is not hammered)."""
    driver = stores(backoff_base=1.0)
    await driver.reserve(1)
    await driver.record(rejected(0.01))
    assert (await driver.reserve(1))[1] == pytest.approx(0.01)
    await driver.sleep(0.02)
    assert (await driver.reserve(1))[0] == 1
    await driver.record(rejected(0.01))
    assert (await driver.reserve(1))[1] == pytest.approx(1.0)  # the top of the first backoff range: 1 s
    await driver.sleep(1.01)
    assert (await driver.reserve(1))[0] == 1
    await driver.record(rejected(0.01))
    assert (await driver.reserve(1))[1] == pytest.approx(2.0)
