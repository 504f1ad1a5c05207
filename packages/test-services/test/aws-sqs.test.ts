import { randomUUID } from 'node:crypto'
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { expect, test } from 'vitest'
import { requireService } from '../src/index.ts'

test('@aws-sdk/client-sqs sends, receives and deletes against moto', async () => {
  const env = requireService('moto')
  const sqs = new SQSClient({
    endpoint: env.AWS_ENDPOINT_URL!,
    region: env.AWS_REGION!,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  })
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `smoke-${randomUUID()}` }))
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"hello":"sqs"}',
        MessageAttributes: { source: { DataType: 'String', StringValue: 'smoke' } },
      }),
    )
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    )
    expect(received.Messages).toHaveLength(1)
    const [message] = received.Messages!
    expect(message!.Body).toBe('{"hello":"sqs"}')
    expect(message!.MessageAttributes?.source?.StringValue).toBe('smoke')

    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle }))
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    )
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    })
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl }))
    sqs.destroy()
  }
})
