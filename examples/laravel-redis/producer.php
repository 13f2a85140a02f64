<?php
// Pushes ProcessOrder jobs in Laravel's own payload format (Queue::push): RATE jobs/s on average
// all the time, and BURST jobs at once every BURST_EVERY seconds (the first burst after BURST_AFTER
// seconds). SCHEDULE=s is scheduler-style instead: a burst at every wall-clock multiple of s
// seconds (SCHEDULE=60: at second 0 of every minute, as a cron job). COUNT=n pushes n jobs and exits.
// ARRIVALS_LOG=file appends every push to that CSV (`time,order`: unix seconds, job number): the
// arrivals log `docktor tune --trace` reads, since Laravel's queue keeps no counters a recording
// could take them from.
require_once __DIR__ . '/queue.php';

function env_number(string $name, float $default): float
{
    $v = getenv($name);
    if ($v === false || $v === '') return $default;
    if (!is_numeric($v) || (float) $v < 0) {
        fwrite(STDERR, "producer: $name must be a number >= 0, not '$v'\n");
        exit(2);
    }
    return (float) $v;
}

$queue = laravel_queue()->connection();
$next = (int) env_number('FIRST', 0);
$log = null;
if (($logFile = getenv('ARRIVALS_LOG')) !== false && $logFile !== '') {
    clearstatcache();
    $fresh = !file_exists($logFile) || filesize($logFile) === 0;
    $log = fopen($logFile, 'a');
    if ($log === false) {
        fwrite(STDERR, "producer: cannot append to ARRIVALS_LOG $logFile\n");
        exit(2);
    }
    if ($fresh) fwrite($log, "time,order\n");
}
// `at`: when the job was pushed, so the job can tell how long it waited for a worker (WAITS_KEY).
$push = function (int $n) use ($queue, &$next, $log) {
    for ($i = 0; $i < $n; $i++) {
        $at = microtime(true);
        if ($log) fwrite($log, sprintf("%.3f,%d\n", $at, $next));
        $queue->push('ProcessOrder', ['order' => $next++, 'at' => $at], queue_name());
    }
    if ($log) fflush($log);
};

$count = getenv('COUNT');
if ($count !== false && $count !== '') {
    $push((int) env_number('COUNT', 0));
    echo "producer: pushed $count jobs to " . queue_name() . "\n";
    exit(0);
}

$rate = env_number('RATE', 1);
$burst = (int) env_number('BURST', 120);
$every = env_number('BURST_EVERY', 120);
$after = env_number('BURST_AFTER', 20);
$schedule = env_number('SCHEDULE', 0);
pcntl_async_signals(true);
$running = true;
foreach ([SIGINT, SIGTERM] as $sig) pcntl_signal($sig, function () use (&$running) { $running = false; });

// Steady jobs arrive as a Poisson stream (exponential gaps): evenly spaced ones would line up with
// docktor's checks, which would see a job in service at every check, or at none.
$gap = fn () => $rate > 0 ? -log(1 - mt_rand() / (mt_getrandmax() + 1)) / $rate : INF;
$start = microtime(true);
$nextJob = $start + $gap();
$bursts = 0;
$nextBurst = function (float $now) use ($schedule, $start, $after, $every, &$bursts): float {
    return $schedule > 0 ? (floor($now / $schedule) + 1) * $schedule : $start + $after + $bursts * $every;
};
$burstAt = $nextBurst($start);
while ($running) {
    usleep(50_000);
    $now = microtime(true);
    for (; $nextJob <= $now; $nextJob += $gap()) $push(1);
    if ($burst > 0 && $now >= $burstAt) {
        $push($burst);
        $bursts++;
        $burstAt = $nextBurst($now);
        fwrite(STDERR, sprintf("producer: burst %d: %d jobs at %s\n", $bursts, $burst, date('H:i:s')));
    }
}
fwrite(STDERR, sprintf("producer: stopped after %d jobs\n", $next - (int) env_number('FIRST', 0)));
