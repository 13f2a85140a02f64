// A Kafka consumer replica for the Kafka e2e test, run by docktor's process runtime: one member
// of consumer group $GROUP on $TOPIC at $BROKER, taking $PROCESS_TIME_MS per record and logging
// each record's value. It commits after each record, so a replica stopped by a scale-down leaves
// nothing consumed uncommitted; SIGTERM leaves the group cleanly (its partitions go to the others).
import { Kafka, logLevel } from 'kafkajs';

const { BROKER = '', TOPIC = '', GROUP = '', PROCESS_TIME_MS = '50' } = process.env;
const kafka = new Kafka({ clientId: `replica-${process.pid}`, brokers: [BROKER], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 5000 });
let count = 0;

async function main(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      await new Promise((r) => setTimeout(r, Number(PROCESS_TIME_MS)));
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      count++;
      process.stdout.write(`consumed ${message.value?.toString() ?? ''}\n`);
    },
  });
  process.stdout.write(`replica ${process.pid}: started: consuming ${TOPIC} as ${GROUP}\n`);
}

process.once('SIGTERM', () => {
  void consumer.disconnect().finally(() => {
    process.stdout.write(`replica ${process.pid}: stopped after ${count} record(s)\n`);
    process.exit(0);
  });
});

main().catch((err: unknown) => {
  process.stderr.write(`replica ${process.pid}: ${String(err)}\n`);
  process.exit(1);
});
