import { profileService } from './overhead.ts';
const r = await profileService({ quick: true, root: process.cwd(), file: '/tmp/svc.cpuprofile' });
console.log(JSON.stringify(r, null, 1));
