"""Queue, dead-letter and budget gauges of the operator, sampled from Redis.

``sampler``  reads every watched agent's task stream, dead letters and budget (and each
             namespace's results stream) every few seconds, on the leader
``metrics``  renders each sample as Prometheus text once, served by every scrape until the next
"""
