import { Matches } from 'class-validator';
import { ID_MESSAGE, ID_PATTERN } from '../../http/points.validator';

export class TransferIdParam {
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  transfer!: string;
}

export class CustomerIdParam {
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  customerId!: string;
}
