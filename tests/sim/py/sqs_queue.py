# create ENDPOINT NAME: creates an SQS queue on moto and prints its URL.
# drain ENDPOINT URL OUT N: receives until N messages arrived (bounded), writes bodies to OUT
# one per line, checks each parses with Python's json.
import json
import sys
import time

import boto3

ep, cmd = sys.argv[1], sys.argv[2]
sqs = boto3.client('sqs', endpoint_url=ep, region_name='us-east-1',
                   aws_access_key_id='testing', aws_secret_access_key='testing')
if cmd == 'create':
    print(sqs.create_queue(QueueName=sys.argv[3])['QueueUrl'])
elif cmd == 'drain':
    url, out, want = sys.argv[3], sys.argv[4], int(sys.argv[5])
    bodies = []
    deadline = time.time() + 60
    while len(bodies) < want and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get('Messages', []):
            json.loads(m['Body'])
            bodies.append(m['Body'])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m['ReceiptHandle'])
    with open(out, 'w') as f:
        for b in bodies:
            f.write(b + '\n')
    assert len(bodies) >= want, (len(bodies), want)
    types = [json.loads(b).get('detail-type') or json.loads(b)['Records'][0]['eventName']
             for b in bodies]
    for t in ['AWS API Call via CloudTrail', 'Object Restore Initiated',
              'Object Restore Completed', 'Object Restore Expired', 'ObjectRestore:Post',
              'ObjectRestore:Completed', 'ObjectRestore:Delete']:
        assert t in types, (t, types)
    print('ok')
