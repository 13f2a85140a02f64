<?php
// Laravel's queue outside a Laravel app: Illuminate\Queue's Capsule manager on a phpredis
// connection, configured as a Laravel app's config/queue.php and config/database.php would be
// (connection `redis`, queue `orders`, Laravel's default key prefix). Debian packages:
// php-cli php-redis php-illuminate-queue php-illuminate-redis php-illuminate-events.
require_once 'Illuminate/Queue/autoload.php';
require_once 'Illuminate/Redis/autoload.php';
require_once 'Illuminate/Events/autoload.php';

use Illuminate\Container\Container;
use Illuminate\Events\Dispatcher;
use Illuminate\Queue\Capsule\Manager as QueueCapsule;
use Illuminate\Redis\RedisManager;

/** The name the jobs are pushed to and worked from (docktor.yaml's queue.queue). */
function queue_name(): string
{
    return getenv('QUEUE') ?: 'orders';
}

/** The capsule, its container and the queue connection, set up once per process. */
function laravel_queue(): QueueCapsule
{
    static $capsule = null;
    if ($capsule !== null) return $capsule;
    $redis = [
        'host' => getenv('REDIS_HOST') ?: '127.0.0.1',
        'port' => (int) (getenv('REDIS_PORT') ?: 6379),
        'database' => (int) (getenv('REDIS_DB') ?: 0),
        // A Laravel app's default (config/database.php: Str::slug(APP_NAME)_database_).
        'prefix' => getenv('REDIS_PREFIX') !== false ? getenv('REDIS_PREFIX') : 'laravel_database_',
    ];
    $container = new Container();
    Container::setInstance($container);
    $container->singleton('redis', fn ($app) => new RedisManager($app, 'phpredis', ['default' => $redis]));
    $container->singleton('events', fn ($app) => new Dispatcher($app));
    $capsule = new QueueCapsule($container);
    // retry_after: a job reserved longer than this goes back to the queue (a worker killed mid-job).
    $capsule->addConnection(['driver' => 'redis', 'connection' => 'default', 'queue' => queue_name(), 'retry_after' => 90, 'block_for' => null]);
    $capsule->setAsGlobal();
    return $capsule;
}

/**
 * The example's job: WORK_MS of work (default 500), then its number is recorded in DONE_KEY. With
 * WAITS_KEY it also records how long it waited for a worker (a sorted set: job number by seconds
 * from push to pickup), what the SLA is about.
 */
class ProcessOrder
{
    public function fire($job, $data)
    {
        $waits = getenv('WAITS_KEY');
        if ($waits && isset($data['at'])) Container::getInstance()->make('redis')->connection()->zadd($waits, microtime(true) - $data['at'], $data['order']);
        // A signal (the worker's SIGTERM handler) cuts usleep short: sleep until the deadline.
        $end = microtime(true) + ((int) (getenv('WORK_MS') ?: 500)) / 1000;
        while (($left = $end - microtime(true)) > 0) usleep((int) ($left * 1e6));
        $done = getenv('DONE_KEY');
        if ($done) Container::getInstance()->make('redis')->connection()->sadd($done, $data['order']);
        $job->delete();
    }
}
