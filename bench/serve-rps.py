#!/usr/bin/env python3
# serve-rps.py - requests per second and latency of one `ticklake serve` endpoint over keep-alive
# connections (standard library only; the client itself is the limit above ~10,000/s on 2 cores).
#
#   python3 bench/serve-rps.py PATH CONNECTIONS [PORT]     e.g. /api/status 4 8080
import http.client, threading, time, sys
path=sys.argv[1]; n=int(sys.argv[2]); port=int(sys.argv[3]) if len(sys.argv)>3 else 8080; dur=3.0
counts=[0]*n; lat=[]
def w(i):
    c=http.client.HTTPConnection('127.0.0.1',port)
    end=time.time()+dur
    while time.time()<end:
        t=time.perf_counter(); c.request('GET',path); r=c.getresponse(); r.read(); lat.append(time.perf_counter()-t); counts[i]+=1
ts=[threading.Thread(target=w,args=(i,)) for i in range(n)]
[t.start() for t in ts]; [t.join() for t in ts]
lat.sort()
print(f"{path} x{n}: {sum(counts)/dur:.0f} req/s, p50 {lat[len(lat)//2]*1e3:.2f} ms, p99 {lat[int(len(lat)*0.99)]*1e3:.2f} ms")
