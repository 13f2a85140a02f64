<?php
// One queue worker, as `php artisan queue:work redis --queue=orders` runs it: Laravel's own
// Worker::daemon loop. With the pcntl extension it handles SIGTERM itself (Worker::listenForSignals):
// the job in hand finishes, then the loop exits, so docktor's scale-down loses no job
// (runtime.grace_period is the longest it waits before SIGKILL).
require_once __DIR__ . '/queue.php';

use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Queue\Worker;
use Illuminate\Queue\WorkerOptions;

class StderrHandler implements ExceptionHandler
{
    public function report(Throwable $e) { fwrite(STDERR, $e . "\n"); }
    public function shouldReport(Throwable $e) { return true; }
    public function render($request, Throwable $e) { throw $e; }
    public function renderForConsole($output, Throwable $e) { fwrite(STDERR, $e . "\n"); }
}

if (!extension_loaded('pcntl')) {
    fwrite(STDERR, "worker: the pcntl extension is missing: SIGTERM would stop a job half-done (Debian's php-cli has it)\n");
    exit(1);
}
$capsule = laravel_queue();
$worker = new Worker($capsule->getQueueManager(), $capsule->getContainer()->make('events'), new StderrHandler(), fn () => false);
// name, backoff 0 s, memory 128 MB, timeout 60 s per job, sleep 0.5 s when empty, 3 tries.
$options = new WorkerOptions('default', 0, 128, 60, 0.5, 3);
$options->stopWhenEmpty = getenv('STOP_WHEN_EMPTY') === '1'; // queue:work --stop-when-empty
$replica = getenv('DOCKTOR_REPLICA') ?: '-';
fwrite(STDERR, "worker $replica: working queue " . queue_name() . "\n");
$status = $worker->daemon('default', queue_name(), $options);
fwrite(STDERR, "worker $replica: stopped\n");
exit((int) $status);
